/* libldns, loaded when a job first needs DNS messages, not at every start.
 *
 * Why: ldns cannot be linked without libcrypto (its resource-record code
 * refers to its DNSSEC code). Linked into the binary, libcrypto brings
 * about 300 KiB of pointers the loader relocates at every start of brig and
 * that every fork of the supervisor then shares copy-on-write: measured, a
 * brig start 1.15-1.18x slower for every job, though only jobs with
 * `egress-allow-host` rules (the DNS responder) and `brig probe --network`
 * (its egress rows) ever build or read a DNS message. So those two call
 * ldns through the pointers below, filled by ldns_lib_load() from the
 * system's libldns.so.3 (Debian package libldns3, which libldns-dev pulls
 * in), and every other job never maps it.
 *
 * A call site reads sym_ldns_pkt_new(...): the pointer has the very type
 * <ldns/ldns.h> declares, so the compiler checks every call as before. */
#pragma once
#include <ldns/ldns.h>

#define BRIG_LDNS_FUNCTIONS(X)                                                                            \
	X(ldns_pkt2wire) X(ldns_pkt_answer) X(ldns_pkt_free) X(ldns_pkt_get_opcode) X(ldns_pkt_get_rcode)      \
	X(ldns_pkt_id) X(ldns_pkt_new) X(ldns_pkt_push_rr) X(ldns_pkt_qr) X(ldns_pkt_query_new_frm_str)        \
	X(ldns_pkt_question) X(ldns_pkt_rd) X(ldns_pkt_set_id) X(ldns_pkt_set_opcode) X(ldns_pkt_set_qr)       \
	X(ldns_pkt_set_ra) X(ldns_pkt_set_rcode) X(ldns_pkt_set_rd) X(ldns_rdf2native_sockaddr_storage)        \
	X(ldns_rdf2str) X(ldns_rdf_data) X(ldns_rdf_size) X(ldns_resolver_deep_free)                           \
	X(ldns_resolver_nameserver_count) X(ldns_resolver_nameservers) X(ldns_resolver_new_frm_file)           \
	X(ldns_rr_clone) X(ldns_rr_get_class) X(ldns_rr_get_type) X(ldns_rr_list_rr) X(ldns_rr_list_rr_count)  \
	X(ldns_rr_owner) X(ldns_rr_rdf) X(ldns_rr_ttl) X(ldns_wire2pkt)

#define BRIG_LDNS_DECLARE(f) extern __typeof__(f) *sym_##f;
BRIG_LDNS_FUNCTIONS(BRIG_LDNS_DECLARE)
#undef BRIG_LDNS_DECLARE

/* Loads libldns.so.3 once per process and fills every sym_ldns_*; 0, or
 * -ELIBACC when the library or one of its functions is missing (the reason
 * is logged once, as a warning: the caller says what it could not do). */
int ldns_lib_load(void);
