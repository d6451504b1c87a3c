# kfit profile: one requirement a line, `SYMBOL=VALUE  where it comes from`.
# name: containers
# about: what Docker's and Podman's kernel checks require (moby contrib/check-config.sh; cgroup v2 host)
# Source: github.com/moby/moby contrib/check-config.sh at commit 00148c88eaeb (the "Generally
# Necessary" list, the cgroup v2 controllers it checks, and the optional features rootless and
# overlay-backed containers use). Podman ships no kernel config checker of its own (containers/podman
# hack/ has none); rootless Podman needs user namespaces (USER_NS below) and its default storage
# driver is overlay (OVERLAY_FS below), both also in Docker's list.
NAMESPACES=y                    moby contrib/check-config.sh:215 (Generally Necessary)
NET_NS=y                        moby contrib/check-config.sh:215 (Generally Necessary)
PID_NS=y                        moby contrib/check-config.sh:215 (Generally Necessary)
IPC_NS=y                        moby contrib/check-config.sh:215 (Generally Necessary)
UTS_NS=y                        moby contrib/check-config.sh:215 (Generally Necessary)
CGROUPS=y                       moby contrib/check-config.sh:216 (Generally Necessary)
CGROUP_SCHED=y                  moby contrib/check-config.sh:216 (Generally Necessary); cgroup v2 controller "cpu" (check-config.sh:169; include/linux/cgroup_subsys.h:16)
KEYS=y                          moby contrib/check-config.sh:217 (Generally Necessary)
VETH=y                          moby contrib/check-config.sh:218 (Generally Necessary)
BRIDGE=y                        moby contrib/check-config.sh:218 (Generally Necessary)
BRIDGE_NETFILTER=y              moby contrib/check-config.sh:218 (Generally Necessary)
IP_NF_FILTER=y                  moby contrib/check-config.sh:219 (Generally Necessary)
IP_NF_MANGLE=y                  moby contrib/check-config.sh:219 (Generally Necessary)
IP_NF_TARGET_MASQUERADE=y       moby contrib/check-config.sh:219 (Generally Necessary)
IP6_NF_FILTER=y                 moby contrib/check-config.sh:220 (Generally Necessary)
IP6_NF_MANGLE=y                 moby contrib/check-config.sh:220 (Generally Necessary)
IP6_NF_TARGET_MASQUERADE=y      moby contrib/check-config.sh:220 (Generally Necessary)
NETFILTER_XT_MATCH_ADDRTYPE=y   moby contrib/check-config.sh:221 (Generally Necessary)
NETFILTER_XT_MATCH_CONNTRACK=y  moby contrib/check-config.sh:222 (Generally Necessary)
NETFILTER_XT_MATCH_IPVS=y       moby contrib/check-config.sh:223 (Generally Necessary)
NETFILTER_XT_MARK=y             moby contrib/check-config.sh:224 (Generally Necessary)
IP_NF_RAW=y                     moby contrib/check-config.sh:225 (Generally Necessary)
IP_NF_NAT=y                     moby contrib/check-config.sh:225 (Generally Necessary)
NF_NAT=y                        moby contrib/check-config.sh:225-226 (Generally Necessary)
IP6_NF_RAW=y                    moby contrib/check-config.sh:226 (Generally Necessary)
IP6_NF_NAT=y                    moby contrib/check-config.sh:226 (Generally Necessary)
POSIX_MQUEUE=y                  moby contrib/check-config.sh:227-228 (Generally Necessary: bind-mounting /dev/mqueue into containers)
CGROUP_BPF=y                    moby contrib/check-config.sh:245-247 (Generally Necessary on 4.15+: BPF_CGROUP_DEVICE, the cgroup v2 device controller)
CPUSETS=y                       moby contrib/check-config.sh:169 cgroup v2 controller "cpuset" (include/linux/cgroup_subsys.h:12)
BLK_CGROUP=y                    moby contrib/check-config.sh:169 cgroup v2 controller "io" (include/linux/cgroup_subsys.h:24); also :324
MEMCG=y                         moby contrib/check-config.sh:169 cgroup v2 controller "memory" (include/linux/cgroup_subsys.h:28)
CGROUP_PIDS=y                   moby contrib/check-config.sh:169 cgroup v2 controller "pids" (include/linux/cgroup_subsys.h:56)
USER_NS=y                       moby contrib/check-config.sh:254 (Optional Features; rootless Docker and Podman need it)
SECCOMP=y                       moby contrib/check-config.sh:257 (Optional Features; the default seccomp profile)
SECCOMP_FILTER=y                moby contrib/check-config.sh:258 (Optional Features)
OVERLAY_FS=y                    moby contrib/check-config.sh:382 (Storage Drivers: overlay, the default of Docker and Podman)
