/* The job's network. */
#pragma once

/* Child side: brings the namespace's loopback up. */
int net_loopback_up(void);
