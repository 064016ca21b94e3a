#!/usr/bin/env bash
# Builds the small guest that the QEMU driver's tests boot, from Debian packages only: Debian's kernel and
# busybox in an initramfs, on a FAT disk that syslinux makes bootable, converted to qcow2.
# The guest prints NOVA-GUEST-BOOTED on its serial console, then a tick counter every 2 s, and powers off
# when the ACPI power button is pressed.
# Usage: scripts/build-guest-image.sh [OUTPUT.qcow2]   (default .build-guest/nova-guest.qcow2)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-.build-guest/nova-guest.qcow2}

need=()
for pkg in linux-image-amd64:/boot busybox-static:/bin/busybox syslinux:/usr/bin/syslinux \
    syslinux-common:/usr/lib/syslinux/modules/bios/ldlinux.c32 mtools:/usr/bin/mcopy dosfstools:/sbin/mkfs.vfat \
    cpio:/usr/bin/cpio qemu-utils:/usr/bin/qemu-img; do
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

# The initramfs: busybox, two modules (the ACPI power button and evdev to read it), and /init.
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,dev,proc,sys,lib}
cp /bin/busybox "$ROOT/bin/busybox"
for module in kernel/drivers/acpi/button.ko kernel/drivers/input/evdev.ko; do
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
insmod /lib/evdev.ko 2>/dev/null
insmod /lib/button.ko 2>/dev/null
say() { echo "$*" > /dev/ttyS0; echo "$*" > /dev/tty0; }
say "NOVA-GUEST-BOOTED kernel $(uname -r)"
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
i=0
while true; do
    i=$((i + 1))
    echo "nova-guest tick $i" > /dev/ttyS0
    sleep 2
done
INIT
chmod +x "$ROOT/init"
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
