#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "brig/lib/util.h"

/* parse_u64 */

Test(parse_u64, accepts_zero)
{
	uint64_t v = 99;
	cr_assert_eq(parse_u64("0", &v), 0);
	cr_assert_eq(v, 0);
}

Test(parse_u64, accepts_plain_decimal)
{
	uint64_t v = 0;
	cr_assert_eq(parse_u64("1234567890", &v), 0);
	cr_assert_eq(v, 1234567890ULL);
}

Test(parse_u64, accepts_leading_zeros)
{
	uint64_t v = 0;
	cr_assert_eq(parse_u64("007", &v), 0);
	cr_assert_eq(v, 7);
}

Test(parse_u64, accepts_uint64_max)
{
	uint64_t v = 0;
	cr_assert_eq(parse_u64("18446744073709551615", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
}

Test(parse_u64, rejects_uint64_max_plus_one)
{
	uint64_t v = 42;
	cr_assert_eq(parse_u64("18446744073709551616", &v), -ERANGE);
	cr_assert_eq(v, 42, "output must be untouched on error");
}

Test(parse_u64, rejects_value_with_more_digits_than_uint64_max)
{
	uint64_t v;
	cr_assert_eq(parse_u64("100000000000000000000", &v), -ERANGE);
}

Test(parse_u64, rejects_overflow_in_a_middle_digit)
{
	uint64_t v;
	cr_assert_eq(parse_u64("18446744073709551700", &v), -ERANGE);
}

Test(parse_u64, rejects_empty)
{
	uint64_t v = 42;
	cr_assert_eq(parse_u64("", &v), -EINVAL);
	cr_assert_eq(v, 42);
}

Test(parse_u64, rejects_null)
{
	uint64_t v;
	cr_assert_eq(parse_u64(NULL, &v), -EINVAL);
}

Test(parse_u64, rejects_plus_sign)
{
	uint64_t v;
	cr_assert_eq(parse_u64("+1", &v), -EINVAL);
}

Test(parse_u64, rejects_minus_sign)
{
	uint64_t v;
	cr_assert_eq(parse_u64("-1", &v), -EINVAL);
}

Test(parse_u64, rejects_leading_space)
{
	uint64_t v;
	cr_assert_eq(parse_u64(" 1", &v), -EINVAL);
}

Test(parse_u64, rejects_trailing_space)
{
	uint64_t v;
	cr_assert_eq(parse_u64("1 ", &v), -EINVAL);
}

Test(parse_u64, rejects_trailing_garbage)
{
	uint64_t v;
	cr_assert_eq(parse_u64("12abc", &v), -EINVAL);
}

Test(parse_u64, rejects_hex_prefix)
{
	uint64_t v;
	cr_assert_eq(parse_u64("0x10", &v), -EINVAL);
}

Test(parse_u64, rejects_decimal_point)
{
	uint64_t v;
	cr_assert_eq(parse_u64("1.0", &v), -EINVAL);
}

/* parse_size */

static uint64_t size_ok(const char *s)
{
	uint64_t v = 0xdeadbeef;
	int r = parse_size(s, &v);
	cr_assert_eq(r, 0, "parse_size(\"%s\") = %d", s, r);
	return v;
}

Test(parse_size, zero_is_zero)
{
	cr_assert_eq(size_ok("0"), 0);
}

Test(parse_size, bare_number_is_bytes)
{
	cr_assert_eq(size_ok("512"), 512);
}

Test(parse_size, suffix_b_is_bytes)
{
	cr_assert_eq(size_ok("512B"), 512);
}

Test(parse_size, kilo_suffixes_are_binary)
{
	cr_assert_eq(size_ok("64K"), 64ULL << 10);
	cr_assert_eq(size_ok("64KB"), 64ULL << 10);
	cr_assert_eq(size_ok("64KiB"), 64ULL << 10);
}

Test(parse_size, mega_suffixes_are_binary)
{
	cr_assert_eq(size_ok("4M"), 4ULL << 20);
	cr_assert_eq(size_ok("4MB"), 4ULL << 20);
	cr_assert_eq(size_ok("4MiB"), 4ULL << 20);
}

Test(parse_size, giga_suffixes_are_binary)
{
	cr_assert_eq(size_ok("2G"), 2ULL << 30);
	cr_assert_eq(size_ok("2GB"), 2ULL << 30);
	cr_assert_eq(size_ok("2GiB"), 2ULL << 30);
}

Test(parse_size, tera_suffixes_are_binary)
{
	cr_assert_eq(size_ok("1T"), 1ULL << 40);
	cr_assert_eq(size_ok("1TB"), 1ULL << 40);
	cr_assert_eq(size_ok("1TiB"), 1ULL << 40);
}

Test(parse_size, zero_with_suffix_is_zero)
{
	cr_assert_eq(size_ok("0G"), 0);
}

Test(parse_size, largest_tera_value_fits)
{
	/* 2^24 T would be 2^64. */
	cr_assert_eq(size_ok("16777215T"), 16777215ULL << 40);
}

Test(parse_size, overflow_through_suffix_is_erange)
{
	uint64_t v;
	cr_assert_eq(parse_size("16777216T", &v), -ERANGE);
}

Test(parse_size, overflow_of_the_number_is_erange)
{
	uint64_t v;
	cr_assert_eq(parse_size("18446744073709551616", &v), -ERANGE);
}

Test(parse_size, uint64_max_bytes_fits)
{
	cr_assert_eq(size_ok("18446744073709551615"), UINT64_MAX);
}

Test(parse_size, rejects_empty)
{
	uint64_t v;
	cr_assert_eq(parse_size("", &v), -EINVAL);
}

Test(parse_size, rejects_null)
{
	uint64_t v;
	cr_assert_eq(parse_size(NULL, &v), -EINVAL);
}

Test(parse_size, rejects_suffix_without_number)
{
	uint64_t v;
	cr_assert_eq(parse_size("K", &v), -EINVAL);
}

Test(parse_size, rejects_unknown_suffix)
{
	uint64_t v;
	cr_assert_eq(parse_size("5X", &v), -EINVAL);
	cr_assert_eq(parse_size("5P", &v), -EINVAL);
}

Test(parse_size, rejects_lowercase_suffix)
{
	uint64_t v;
	cr_assert_eq(parse_size("5k", &v), -EINVAL);
}

Test(parse_size, rejects_space_before_suffix)
{
	uint64_t v;
	cr_assert_eq(parse_size("5 M", &v), -EINVAL);
}

Test(parse_size, rejects_sign)
{
	uint64_t v;
	cr_assert_eq(parse_size("-5M", &v), -EINVAL);
	cr_assert_eq(parse_size("+5M", &v), -EINVAL);
}

Test(parse_size, rejects_fraction)
{
	uint64_t v;
	cr_assert_eq(parse_size("1.5G", &v), -EINVAL);
}

Test(parse_size, rejects_garbage_after_suffix)
{
	uint64_t v;
	cr_assert_eq(parse_size("5MM", &v), -EINVAL);
	cr_assert_eq(parse_size("5Mx", &v), -EINVAL);
}

/* parse_duration */

static uint64_t ms_ok(const char *s)
{
	uint64_t v = 0xdeadbeef;
	int r = parse_duration(s, &v);
	cr_assert_eq(r, 0, "parse_duration(\"%s\") = %d", s, r);
	return v;
}

Test(parse_duration, bare_number_is_seconds)
{
	cr_assert_eq(ms_ok("30"), 30000);
}

Test(parse_duration, milliseconds)
{
	cr_assert_eq(ms_ok("1500ms"), 1500);
}

Test(parse_duration, seconds)
{
	cr_assert_eq(ms_ok("30s"), 30000);
}

Test(parse_duration, minutes)
{
	cr_assert_eq(ms_ok("5m"), 300000);
}

Test(parse_duration, hours)
{
	cr_assert_eq(ms_ok("2h"), 7200000);
}

Test(parse_duration, zero_is_zero)
{
	cr_assert_eq(ms_ok("0"), 0);
	cr_assert_eq(ms_ok("0s"), 0);
}

Test(parse_duration, uint64_max_milliseconds_fits)
{
	cr_assert_eq(ms_ok("18446744073709551615ms"), UINT64_MAX);
}

Test(parse_duration, largest_second_count_fits)
{
	cr_assert_eq(ms_ok("18446744073709551s"), 18446744073709551000ULL);
}

Test(parse_duration, overflow_through_seconds_is_erange)
{
	uint64_t v;
	cr_assert_eq(parse_duration("18446744073709552s", &v), -ERANGE);
}

Test(parse_duration, overflow_of_a_bare_number_is_erange)
{
	uint64_t v;
	cr_assert_eq(parse_duration("18446744073709552", &v), -ERANGE);
}

Test(parse_duration, overflow_through_hours_is_erange)
{
	uint64_t v;
	cr_assert_eq(parse_duration("5124095576031h", &v), -ERANGE);
}

Test(parse_duration, overflow_of_the_number_is_erange)
{
	uint64_t v;
	cr_assert_eq(parse_duration("18446744073709551616ms", &v), -ERANGE);
}

Test(parse_duration, rejects_empty)
{
	uint64_t v;
	cr_assert_eq(parse_duration("", &v), -EINVAL);
}

Test(parse_duration, rejects_null)
{
	uint64_t v;
	cr_assert_eq(parse_duration(NULL, &v), -EINVAL);
}

Test(parse_duration, rejects_unit_without_number)
{
	uint64_t v;
	cr_assert_eq(parse_duration("s", &v), -EINVAL);
	cr_assert_eq(parse_duration("ms", &v), -EINVAL);
}

Test(parse_duration, rejects_unknown_units)
{
	uint64_t v;
	cr_assert_eq(parse_duration("1d", &v), -EINVAL);
	cr_assert_eq(parse_duration("1us", &v), -EINVAL);
	cr_assert_eq(parse_duration("1sec", &v), -EINVAL);
}

Test(parse_duration, rejects_uppercase_units)
{
	uint64_t v;
	cr_assert_eq(parse_duration("1S", &v), -EINVAL);
	cr_assert_eq(parse_duration("1H", &v), -EINVAL);
}

Test(parse_duration, rejects_fraction)
{
	uint64_t v;
	cr_assert_eq(parse_duration("1.5s", &v), -EINVAL);
}

Test(parse_duration, rejects_sign)
{
	uint64_t v;
	cr_assert_eq(parse_duration("-1s", &v), -EINVAL);
}

Test(parse_duration, rejects_spaces)
{
	uint64_t v;
	cr_assert_eq(parse_duration(" 1s", &v), -EINVAL);
	cr_assert_eq(parse_duration("1 s", &v), -EINVAL);
	cr_assert_eq(parse_duration("1s ", &v), -EINVAL);
}

Test(parse_duration, rejects_compound_durations)
{
	uint64_t v;
	cr_assert_eq(parse_duration("1m30s", &v), -EINVAL);
}

/* parse_id_pair */

Test(parse_id_pair, splits_a_pair)
{
	uint32_t a = 0, b = 0;
	cr_assert_eq(parse_id_pair("1000:2000", &a, &b, false), 0);
	cr_assert_eq(a, 1000);
	cr_assert_eq(b, 2000);
}

Test(parse_id_pair, single_value_doubles_when_allowed)
{
	uint32_t a = 0, b = 0;
	cr_assert_eq(parse_id_pair("1000", &a, &b, true), 0);
	cr_assert_eq(a, 1000);
	cr_assert_eq(b, 1000);
}

Test(parse_id_pair, single_value_rejected_when_not_allowed)
{
	uint32_t a = 7, b = 7;
	cr_assert_eq(parse_id_pair("1000", &a, &b, false), -EINVAL);
	cr_assert_eq(a, 7);
	cr_assert_eq(b, 7);
}

Test(parse_id_pair, accepts_uint32_max)
{
	uint32_t a = 0, b = 0;
	cr_assert_eq(parse_id_pair("4294967295:4294967295", &a, &b, false), 0);
	cr_assert_eq(a, UINT32_MAX);
	cr_assert_eq(b, UINT32_MAX);
}

Test(parse_id_pair, first_half_over_32_bits_is_erange)
{
	uint32_t a = 7, b = 7;
	cr_assert_eq(parse_id_pair("4294967296:1", &a, &b, false), -ERANGE);
	cr_assert_eq(a, 7);
	cr_assert_eq(b, 7);
}

Test(parse_id_pair, second_half_over_32_bits_is_erange)
{
	uint32_t a, b;
	cr_assert_eq(parse_id_pair("1:4294967296", &a, &b, false), -ERANGE);
}

Test(parse_id_pair, single_value_over_32_bits_is_erange)
{
	uint32_t a, b;
	cr_assert_eq(parse_id_pair("4294967296", &a, &b, true), -ERANGE);
}

Test(parse_id_pair, rejects_empty_halves)
{
	uint32_t a, b;
	cr_assert_eq(parse_id_pair(":1", &a, &b, true), -EINVAL);
	cr_assert_eq(parse_id_pair("1:", &a, &b, true), -EINVAL);
	cr_assert_eq(parse_id_pair(":", &a, &b, true), -EINVAL);
	cr_assert_eq(parse_id_pair("", &a, &b, true), -EINVAL);
}

Test(parse_id_pair, rejects_a_third_field)
{
	uint32_t a, b;
	cr_assert_eq(parse_id_pair("1:2:3", &a, &b, false), -EINVAL);
}

Test(parse_id_pair, rejects_signs_and_spaces)
{
	uint32_t a, b;
	cr_assert_eq(parse_id_pair("-1:2", &a, &b, false), -EINVAL);
	cr_assert_eq(parse_id_pair("1: 2", &a, &b, false), -EINVAL);
	cr_assert_eq(parse_id_pair("1 :2", &a, &b, false), -EINVAL);
}

Test(parse_id_pair, rejects_names)
{
	uint32_t a, b;
	cr_assert_eq(parse_id_pair("root:root", &a, &b, false), -EINVAL);
}

Test(parse_id_pair, rejects_null)
{
	uint32_t a, b;
	cr_assert_eq(parse_id_pair(NULL, &a, &b, true), -EINVAL);
}

Test(parse_id_pair, rejects_overlong_input_without_overflowing)
{
	char s[200];
	memset(s, '1', sizeof s - 1);
	s[sizeof s - 1] = '\0';
	uint32_t a, b;
	cr_assert_lt(parse_id_pair(s, &a, &b, true), 0);
}

/* parse_src_dst */

Test(parse_src_dst, splits_on_colon)
{
	char *src = NULL, *dst = NULL;
	cr_assert_eq(parse_src_dst("/a:/b", &src, &dst), 0);
	cr_assert_str_eq(src, "/a");
	cr_assert_str_eq(dst, "/b");
	free(src);
	free(dst);
}

Test(parse_src_dst, dst_defaults_to_src)
{
	char *src = NULL, *dst = NULL;
	cr_assert_eq(parse_src_dst("/srv/data", &src, &dst), 0);
	cr_assert_str_eq(src, "/srv/data");
	cr_assert_str_eq(dst, "/srv/data");
	cr_assert_neq(src, dst, "both must be separate allocations");
	free(src);
	free(dst);
}

Test(parse_src_dst, splits_on_the_first_colon_only)
{
	char *src = NULL, *dst = NULL;
	cr_assert_eq(parse_src_dst("/a:/b:c", &src, &dst), 0);
	cr_assert_str_eq(src, "/a");
	cr_assert_str_eq(dst, "/b:c");
	free(src);
	free(dst);
}

Test(parse_src_dst, rejects_empty_src)
{
	char *src = NULL, *dst = NULL;
	cr_assert_eq(parse_src_dst(":/b", &src, &dst), -EINVAL);
	cr_assert_null(src);
	cr_assert_null(dst);
}

Test(parse_src_dst, rejects_empty_dst)
{
	char *src = NULL, *dst = NULL;
	cr_assert_eq(parse_src_dst("/a:", &src, &dst), -EINVAL);
	cr_assert_null(src);
	cr_assert_null(dst);
}

Test(parse_src_dst, rejects_empty_string)
{
	char *src = NULL, *dst = NULL;
	cr_assert_eq(parse_src_dst("", &src, &dst), -EINVAL);
	cr_assert_null(src);
	cr_assert_null(dst);
}

/* path_normalise */

static void assert_normalises(const char *in, const char *want)
{
	char *out = NULL;
	int r = path_normalise(in, &out);
	cr_assert_eq(r, 0, "path_normalise(\"%s\") = %d", in, r);
	cr_assert_str_eq(out, want, "path_normalise(\"%s\")", in);
	free(out);
}

static void assert_rejected(const char *in)
{
	char *out = NULL;
	cr_assert_eq(path_normalise(in, &out), -EINVAL, "path_normalise(\"%s\")", in ? in : "(null)");
	cr_assert_null(out);
}

Test(path_normalise, root_stays_root)
{
	assert_normalises("/", "/");
}

Test(path_normalise, clean_path_is_unchanged)
{
	assert_normalises("/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu");
}

Test(path_normalise, collapses_double_slashes)
{
	assert_normalises("//usr//lib", "/usr/lib");
	assert_normalises("///", "/");
}

Test(path_normalise, drops_trailing_slash)
{
	assert_normalises("/usr/", "/usr");
	assert_normalises("/usr///", "/usr");
}

Test(path_normalise, drops_dot_components)
{
	assert_normalises("/./usr/./lib/.", "/usr/lib");
	assert_normalises("/.", "/");
}

Test(path_normalise, dotdot_removes_the_previous_component)
{
	assert_normalises("/usr/lib/../bin", "/usr/bin");
	assert_normalises("/a/b/c/../../d", "/a/d");
}

Test(path_normalise, dotdot_at_root_stays_at_root)
{
	assert_normalises("/..", "/");
	assert_normalises("/../..", "/");
	assert_normalises("/../etc", "/etc");
	assert_normalises("/a/../../b", "/b");
}

Test(path_normalise, dotdot_back_to_root)
{
	assert_normalises("/a/..", "/");
	assert_normalises("/a/b/../..", "/");
}

Test(path_normalise, names_that_only_start_with_dots_are_kept)
{
	assert_normalises("/.hidden/..x/.../a.", "/.hidden/..x/.../a.");
}

Test(path_normalise, rejects_relative_paths)
{
	assert_rejected("usr/lib");
	assert_rejected("./usr");
	assert_rejected("../usr");
	assert_rejected(".");
}

Test(path_normalise, rejects_empty)
{
	assert_rejected("");
}

Test(path_normalise, rejects_null)
{
	assert_rejected(NULL);
}

/* format_size */

static void assert_formats(uint64_t bytes, const char *want)
{
	char buf[64];
	memset(buf, 'X', sizeof buf);
	format_size(bytes, buf, sizeof buf);
	cr_assert_str_eq(buf, want, "format_size(%llu)", (unsigned long long)bytes);
}

Test(format_size, zero_bytes)
{
	assert_formats(0, "0 bytes");
}

Test(format_size, below_one_kib_is_bytes)
{
	assert_formats(512, "512 bytes");
	assert_formats(1023, "1023 bytes");
}

Test(format_size, exact_multiples_have_no_fraction)
{
	assert_formats(1024, "1 KiB");
	assert_formats(512ULL << 20, "512 MiB");
	assert_formats(4ULL << 30, "4 GiB");
	assert_formats(1ULL << 40, "1 TiB");
}

Test(format_size, inexact_values_have_one_decimal)
{
	assert_formats(1536, "1.5 KiB");
	assert_formats((3ULL << 30) + (1ULL << 29), "3.5 GiB");
}

Test(format_size, tebibytes_is_the_largest_unit)
{
	assert_formats(1ULL << 50, "1024 TiB");
	assert_formats(UINT64_MAX, "16777216 TiB");
}

Test(format_size, truncates_to_the_buffer)
{
	char buf[6];
	memset(buf, 'X', sizeof buf);
	format_size(512ULL << 20, buf, sizeof buf);
	cr_assert_str_eq(buf, "512 M");
}

/* env_name_matches */

Test(env_name_matches, exact_name_matches_itself)
{
	cr_assert(env_name_matches("HOME", "HOME"));
}

Test(env_name_matches, exact_name_does_not_match_a_prefix_or_extension)
{
	cr_assert_not(env_name_matches("HOME", "HOM"));
	cr_assert_not(env_name_matches("HOME", "HOMEDIR"));
}

Test(env_name_matches, is_case_sensitive)
{
	cr_assert_not(env_name_matches("HOME", "home"));
	cr_assert_not(env_name_matches("CI_*", "ci_job"));
}

Test(env_name_matches, prefix_pattern_matches_names_with_that_prefix)
{
	cr_assert(env_name_matches("CI_*", "CI_JOB_ID"));
	cr_assert(env_name_matches("CI_*", "CI_"));
}

Test(env_name_matches, prefix_pattern_does_not_match_other_names)
{
	cr_assert_not(env_name_matches("CI_*", "CI"));
	cr_assert_not(env_name_matches("CI_*", "XCI_JOB"));
	cr_assert_not(env_name_matches("CI_*", "GITLAB_CI"));
}

Test(env_name_matches, star_is_only_special_at_the_end)
{
	cr_assert_not(env_name_matches("C*_X", "CI_X"));
	cr_assert(env_name_matches("C*_X", "C*_X"));
}

Test(env_name_matches, lone_star_matches_everything)
{
	cr_assert(env_name_matches("*", "PATH"));
	cr_assert(env_name_matches("*", ""));
}

Test(env_name_matches, empty_pattern_matches_only_empty_name)
{
	cr_assert(env_name_matches("", ""));
	cr_assert_not(env_name_matches("", "PATH"));
}
