#!/usr/bin/env bash
# Builds the small guest that the QEMU driver's tests boot, from Debian packages only: Debian's kernel and
# busybox in an initramfs, on a FAT disk that syslinux makes bootable, converted to qcow2.
# The guest prints NOVA-GUEST-BOOTED on its serial console (and NOVA-GUEST-ROOT-VOLUME <serial> when its boot disk
# is a volume); with a config drive it takes its hostname from it
# (NOVA-GUEST-HOSTNAME <name>) and runs its user data if that is a script, then a tick counter every 2 s, and powers off
# when the ACPI power button is pressed. A volume (a virtio disk with a serial) that appears is read: its marker
# is printed (NOVA-GUEST-VOLUME-READ <serial> ...), or, blank, it gets one (NOVA-GUEST-VOLUME-WROTE <serial>).
# Each virtio NIC (also one hot-plugged later) is brought up and asks DHCP for its address and MTU (and eth0 for
# the default and classless routes); the guest prints NOVA-GUEST-IP <nic> <address> when it has one. Once eth0
# has its address, the guest reads its metadata at 169.254.169.254 as a cloud image does: its hostname
# (NOVA-GUEST-METADATA <name>), its SSH key for root, and its user data (run if it is a script and no config drive
# ran one). Debian's dropbear answers SSH on port 22. On a virtio-serial port named org.qemu.guest_agent.0 (images with
# hw_qemu_guest_agent=yes) a small agent answers the QEMU guest agent's guest-sync, guest-ping and
# guest-set-user-password, the last in /etc/shadow (NOVA-GUEST-PASSWORD-SET <user>).
# Usage: scripts/build-guest-image.sh [OUTPUT.qcow2]   (default .build-guest/nova-guest.qcow2)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-.build-guest/nova-guest.qcow2}

need=()
for pkg in linux-image-amd64:/boot busybox-static:/bin/busybox syslinux:/usr/bin/syslinux \
    syslinux-common:/usr/lib/syslinux/modules/bios/ldlinux.c32 mtools:/usr/bin/mcopy dosfstools:/sbin/mkfs.vfat \
    cpio:/usr/bin/cpio qemu-utils:/usr/bin/qemu-img dropbear-bin:/usr/sbin/dropbear; do
    name=${pkg%%:*} path=${pkg#*:}
    if [ "$name" = linux-image-amd64 ]; then ls /boot/vmlinuz-* >/dev/null 2>&1 || need+=("$name"); continue; fi
    [ -e "$path" ] || need+=("$name")
done
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

KERNEL=$(ls /boot/vmlinuz-* | sort -V | tail -1)
KVER=${KERNEL#/boot/vmlinuz-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The initramfs: busybox, the modules of the ACPI power button (and evdev to read it) and of virtio NICs
# (in load order), /init and the DHCP client's script.
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,dev,proc,sys,lib,etc/dropbear,root}
cp /bin/busybox "$ROOT/bin/busybox"
# Dropbear with the shared libraries it links (at the paths its loader looks in), and the root account it
# logs in to (key only: no password).
mkdir -p "$ROOT/sbin"
cp /usr/sbin/dropbear "$ROOT/sbin/dropbear"
cp /usr/bin/dropbearkey "$ROOT/sbin/dropbearkey"
for lib in $(ldd /usr/sbin/dropbear /usr/bin/dropbearkey | grep -o '/[^ ]*' | grep -v ':$' | sort -u); do
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOT/etc/passwd"
echo 'root:x:0:' > "$ROOT/etc/group"
echo 'root:*:19000:0:99999:7:::' > "$ROOT/etc/shadow"
chmod 600 "$ROOT/etc/shadow"
echo '/bin/sh' > "$ROOT/etc/shells"
chmod 700 "$ROOT/root"
NIC_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net virtio_blk cdrom isofs"
for module in kernel/drivers/acpi/button.ko kernel/drivers/input/evdev.ko kernel/drivers/virtio/virtio_ring.ko \
    kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko \
    kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci.ko kernel/net/core/failover.ko \
    kernel/drivers/net/net_failover.ko kernel/drivers/net/virtio_net.ko kernel/drivers/block/virtio_blk.ko \
    kernel/drivers/cdrom/cdrom.ko kernel/fs/isofs/isofs.ko kernel/drivers/char/virtio_console.ko; do
    src=/lib/modules/$KVER/$module
    if [ -e "$src" ]; then cp "$src" "$ROOT/lib/"
    elif [ -e "$src.xz" ]; then xz -dc "$src.xz" > "$ROOT/lib/$(basename "$module")"
    fi
done
cat > "$ROOT/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
insmod /lib/evdev.ko 2>/dev/null
insmod /lib/button.ko 2>/dev/null
for module in NIC_MODULES; do insmod /lib/$module.ko 2>/dev/null; done
ip link set lo up
say() { echo "$*" > /dev/ttyS0; echo "$*" > /dev/tty0; }
say "NOVA-GUEST-BOOTED kernel $(uname -r)"
# Booted from a volume, the first disk has the volume's id as its serial.
root_serial=$(cat /sys/block/vda/serial 2>/dev/null)
[ -n "$root_serial" ] && say "NOVA-GUEST-ROOT-VOLUME $root_serial"
# The config drive (label config-2), when there is one: the hostname from its meta_data.json, and its user data
# run when it is a script.
configdrive() {
    # Only a second disk can be one: without it the boot goes straight on (NICs and DHCP wait for this).
    for try in 1 2 3 4 5; do
        dev=$(findfs LABEL=config-2 2>/dev/null) && break
        [ -e /sys/block/vdb ] || break
        sleep 1
    done
    [ -n "$dev" ] || return 0
    mkdir -p /mnt/config
    mount -t iso9660 -o ro "$dev" /mnt/config || return 0
    say "NOVA-GUEST-CONFIG-DRIVE $dev"
    latest=/mnt/config/openstack/latest
    name=$(sed -n 's/.*"hostname": *"\([^"]*\)".*/\1/p' $latest/meta_data.json)
    if [ -n "$name" ]; then hostname "$name"; say "NOVA-GUEST-HOSTNAME $name"; fi
    if [ "$(head -c 2 $latest/user_data 2>/dev/null)" = "#!" ]; then
        cp $latest/user_data /run/user-data && chmod +x /run/user-data
        /run/user-data > /dev/ttyS0 2>&1 &
    fi
}
mkdir -p /run
configdrive
# The guest agent's part this guest speaks, one JSON command per line on the agent's virtio port.
insmod /lib/virtio_console.ko 2>/dev/null
agent() {
    exec 3<>"$1"
    while read -r line <&3; do
        case "$line" in
        *guest-sync*) echo "{\"return\": $(echo "$line" | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')}" >&3 ;;
        *guest-ping*) echo '{"return": {}}' >&3 ;;
        *guest-set-user-password*)
            user=$(echo "$line" | sed -n 's/.*"username": *"\([^"]*\)".*/\1/p')
            secret=$(echo "$line" | sed -n 's/.*"password": *"\([^"]*\)".*/\1/p' | base64 -d)
            # Busybox has no chpasswd: the account's shadow entry gets mkpasswd's SHA-512 crypt.
            hash=$(mkpasswd -m sha512 "$secret" 2>/dev/null)
            if [ -n "$user" ] && [ -n "$hash" ] && grep -q "^$user:" /etc/shadow \
                && sed -i "s|^$user:[^:]*:|$user:$hash:|" /etc/shadow; then
                say "NOVA-GUEST-PASSWORD-SET $user"
                echo '{"return": {}}' >&3
            else
                echo '{"error": {"class": "GenericError", "desc": "the password could not be set"}}' >&3
            fi ;;
        *) echo '{"error": {"class": "CommandNotFound", "desc": "this agent knows guest-sync, guest-ping and guest-set-user-password"}}' >&3 ;;
        esac
    done
}
(
    sleep 1
    for port in /sys/class/virtio-ports/*; do
        [ "$(cat "$port/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] || continue
        while true; do agent "/dev/${port##*/}"; sleep 1; done &
    done
) &
# SSH: the ed25519 host key made while the NICs come up (others at the first connection that asks for one).
(/sbin/dropbearkey -t ed25519 -f /etc/dropbear/dropbear_ed25519_host_key >/dev/null 2>&1
 /sbin/dropbear -R -s -p 22 2>/dev/null) &
# NICs: each one seen for the first time (at boot or hot-plugged) is brought up and asks DHCP.
mkdir -p /run/nics
nics() {
    for path in /sys/class/net/eth*; do
        [ -e "$path" ] || continue
        nic=${path##*/}
        [ -e /run/nics/$nic ] && continue
        touch /run/nics/$nic
        echo "NOVA-GUEST-NIC $nic at $(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
        ip link set "$nic" up
        udhcpc -i "$nic" -s /bin/dhcp-event -O staticroutes -b -t 20 -T 1 -A 2 >/dev/null 2>&1
    done
}
# The ACPI power button: any event on its input device powers the guest off.
(
    sleep 1
    for dev in /sys/class/input/event*; do
        if grep -q "Power Button" "$dev/device/name" 2>/dev/null; then
            head -c 1 "/dev/input/${dev##*/}" > /dev/null
            say "NOVA-GUEST-POWEROFF"
            sync
            poweroff -f
        fi
    done
) &
# Volumes: each virtio disk seen for the first time after the boot disks (hot-plugged, or given at boot) with a
# serial (a volume's id) is read; a disk that holds a marker has it printed (NOVA-GUEST-VOLUME-READ), a blank one
# gets the guest's own (NOVA-GUEST-VOLUME-WROTE), so a test sees a volume's data move from guest to guest.
# Only the boot disk is known at the start: volumes given at boot are read like hot-plugged ones (disks with no
# serial, the config drive or the guest's own disk under a rescue, are never read). A known volume whose size
# changed (grown while attached) has its new size printed in 512-byte sectors (NOVA-GUEST-VOLUME-SIZE).
mkdir -p /run/disks
cat /sys/block/vda/size > /run/disks/vda 2>/dev/null || touch /run/disks/vda
disks() {
    # A disk that went (detached) is new again when a disk of its name comes back.
    for seen in /run/disks/*; do [ -e "/sys/block/${seen##*/}" ] || rm -f "$seen"; done
    for path in /sys/block/vd*; do
        [ -e "$path" ] || continue
        disk=${path##*/}
        serial=$(cat $path/serial 2>/dev/null)
        size=$(cat $path/size 2>/dev/null)
        if [ -e /run/disks/$disk ]; then
            if [ -n "$serial" ] && [ "$(cat /run/disks/$disk)" != "$size" ]; then
                echo "$size" > /run/disks/$disk
                say "NOVA-GUEST-VOLUME-SIZE $serial $disk $size"
            fi
            continue
        fi
        echo "$size" > /run/disks/$disk
        [ -n "$serial" ] || continue
        mark=$(head -c 64 /dev/$disk | tr -d '\000' | head -n 1)
        case "$mark" in
            NOVA-MARK*) say "NOVA-GUEST-VOLUME-READ $serial $disk $mark" ;;
            *)
                printf 'NOVA-MARK from %s on %s\n' "$(hostname)" "$serial" | dd of=/dev/$disk conv=fsync 2>/dev/null
                say "NOVA-GUEST-VOLUME-WROTE $serial $disk"
                ;;
        esac
    done
}
i=0
while true; do
    nics
    disks
    i=$((i + 1))
    echo "nova-guest tick $i" > /dev/ttyS0
    sleep 2
done
INIT
sed -i "s/NIC_MODULES/$NIC_MODULES/" "$ROOT/init"
chmod +x "$ROOT/init"
# busybox udhcpc's script: the lease's address, MTU and router applied, the address printed.
cat > "$ROOT/bin/dhcp-event" <<'DHCP'
#!/bin/busybox sh
case "$1" in
    bound|renew)
        ip addr flush dev "$interface"
        ip addr add "$ip/$mask" dev "$interface"
        [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
        # Routes go through the first NIC only (a second one's would vanish with it): the classless routes
        # when the server sent them (they include the default route then, RFC 3442), else the router.
        if [ "$interface" = eth0 ]; then
            if [ -n "$staticroutes" ]; then
                set -- $staticroutes
                while [ $# -ge 2 ]; do
                    ip route replace "$1" via "$2" dev eth0
                    shift 2
                done
            elif [ -n "$router" ]; then
                ip route replace default via "${router%% *}" dev eth0
            fi
        fi
        echo "NOVA-GUEST-IP $interface $ip at $(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
        if [ "$interface" = eth0 ] && [ ! -e /run/metadata-read ]; then
            touch /run/metadata-read
            /bin/read-metadata &
        fi
        ;;
    deconfig)
        ip addr flush dev "$interface"
        ;;
esac
DHCP
chmod +x "$ROOT/bin/dhcp-event"
# The metadata service, as cloud-init reads it.
cat > "$ROOT/bin/read-metadata" <<'METADATA'
#!/bin/busybox sh
say() { echo "$* at $(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0; }
# (busybox's own wget -T crashes in Debian's static build: timeout bounds each request instead.)
get() { timeout 5 wget -q -O "$1" "http://169.254.169.254$2" 2>/dev/null; }
for try in $(seq 1 60); do
    get /run/meta_data.json /openstack/latest/meta_data.json && break
    rm -f /run/meta_data.json
    sleep 1
done
if [ ! -s /run/meta_data.json ]; then say "NOVA-GUEST-METADATA-UNREACHABLE"; exit 0; fi
name=$(sed -n 's/.*"hostname": *"\([^"]*\)".*/\1/p' /run/meta_data.json)
[ -n "$name" ] && hostname "$name"
if get /run/ssh-key /latest/meta-data/public-keys/0/openssh-key; then
    mkdir -p /root/.ssh && chmod 700 /root/.ssh
    cat /run/ssh-key >> /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys
    say "NOVA-GUEST-SSH-KEY $(cut -d' ' -f1 /run/ssh-key)"
fi
say "NOVA-GUEST-METADATA $name"
if [ ! -e /run/user-data ] && get /run/user-data /openstack/latest/user_data \
    && [ "$(head -c 2 /run/user-data)" = "#!" ]; then
    chmod +x /run/user-data
    /run/user-data > /dev/ttyS0 2>&1
fi
METADATA
chmod +x "$ROOT/bin/read-metadata"
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -9) > "$WORK/initrd.gz"

# The disk: an unpartitioned FAT file system whose boot sector is syslinux's.
cat > "$WORK/syslinux.cfg" <<CFG
DEFAULT nova
PROMPT 0
TIMEOUT 0
LABEL nova
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND console=tty0 console=ttyS0,115200 quiet loglevel=3
CFG
RAW=$WORK/disk.raw
/sbin/mkfs.vfat -C -n NOVAGUEST "$RAW" 32768 > /dev/null
syslinux --install "$RAW"
mcopy -i "$RAW" "$KERNEL" ::vmlinuz
mcopy -i "$RAW" "$WORK/initrd.gz" ::initrd.gz
mcopy -i "$RAW" "$WORK/syslinux.cfg" ::syslinux.cfg
mkdir -p "$(dirname "$OUT")"
qemu-img convert -f raw -O qcow2 "$RAW" "$OUT.partial"
mv "$OUT.partial" "$OUT"
echo "guest image: $OUT ($(du -h "$OUT" | cut -f1), kernel $KVER)"
