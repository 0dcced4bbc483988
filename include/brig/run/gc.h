/* `brig gc`: removes what jobs whose supervisor (and janitor) died left
 * behind: address leases, firewall chains, empty job cgroups. */
#pragma once

int gc_main(int argc, char **argv);
