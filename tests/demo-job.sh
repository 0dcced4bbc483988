# Run by `make demo` inside the sandbox: what a job can see and do.
echo "identity:   $(id)"
echo "uid_map:    $(cat /proc/self/uid_map | tr -s ' ')"
echo "hostname:   $(hostname)"
echo "processes:  $(ps -eo pid=,comm= | tr -s ' \n' ' ')"
grep -E '^(CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status | tr '\t' ' ' | sed 's/^/            /'
echo "/ holds:    $(ls / | tr '\n' ' ')"
echo "/etc holds: $(ls /etc | wc -l) entries, shadow: $(ls /etc/shadow 2>&1 | sed 's/.*: //')"
echo "network:    $(ls /sys/class/net 2>/dev/null || awk -F: 'NR > 2 { printf "%s ", $1 }' /proc/net/dev)"
echo "write /usr: $(touch /usr/x 2>&1 | sed 's/.*: //')"
echo "home:       $HOME, $(ls -A ~ | wc -l) entries (the host's /root is not here)"
echo "terminal:   $(tty 2>&1) (new session)"
echo "fds:        $(ls /proc/self/fd | tr '\n' ' ')"
