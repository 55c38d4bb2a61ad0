/**
 * initScript is the guest's /init: a busybox shell script that loads the given kernel modules
 * (paths under /lib/modules, dependencies first), sets up the network and the shared directory
 * from the kernel command line, then hands PID 1 to the agent on a tmpfs root.
 */
export function initScript(modules: readonly string[]): string {
  const loads = modules.map((m) => `/lib/modules/${m}`).join(' ');
  return `#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
say() { echo "skiff-init: $*" > /dev/console; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
/sbin/skiff-agent --load-modules ${loads} || say "some kernel modules did not load"
host=skiff-guest share=skiff ip= gw=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    skiff.hostname=*) host="\${arg#*=}" ;;
    skiff.ip=*) ip="\${arg#*=}" ;;
    skiff.gw=*) gw="\${arg#*=}" ;;
    skiff.share=*) share="\${arg#*=}" ;;
  esac
done
hostname "$host"
ip link set lo up
if [ -n "$ip" ]; then
  ip link set eth0 up && ip addr add "$ip" dev eth0 || say "eth0 $ip failed"
  if [ -n "$gw" ]; then ip route add default via "$gw" || say "route via $gw failed"; fi
fi
# The initramfs root cannot be pivoted away from, so containers could not pivot_root:
# run the agent on a tmpfs root instead.
mkdir -p /newroot
mount -t tmpfs -o mode=0755 root /newroot
mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/tmp /newroot/sbin /newroot/run/skiff/share
# Only the agent lives on: containers bring their own userland.
cp /sbin/skiff-agent /newroot/sbin/
chmod 1777 /newroot/tmp
mount -t virtiofs "$share" /newroot/run/skiff/share || say "no shared directory $share"
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
mkdir -p /newroot/dev/pts
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /newroot/dev/pts
exec switch_root /newroot /sbin/skiff-agent
`;
}
