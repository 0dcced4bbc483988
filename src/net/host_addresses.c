/* The host's own addresses: an answer that names one of them is a way
 * back to the host, so egress by name refuses it (brig/net/dns_responder.h). */
#include "brig/net/host_addresses.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int host_addresses(struct cidr **out, size_t *n)
{
	struct ifaddrs *ifa = NULL;
	*out = NULL;
	*n = 0;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	size_t count = 0;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next)
		count++;
	struct cidr *list = calloc(count ? count : 1, sizeof *list);
	if (!list) {
		freeifaddrs(ifa);
		return -ENOMEM;
	}
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			list[*n] = (struct cidr){ .family = AF_INET, .prefix = 32 };
			memcpy(list[(*n)++].addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			list[*n] = (struct cidr){ .family = AF_INET6, .prefix = 128 };
			memcpy(list[(*n)++].addr, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		}
	}
	freeifaddrs(ifa);
	*out = list;
	return 0;
}
