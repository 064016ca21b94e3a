import NovaCore

/// The `qemu-system-x86_64` arguments of one guest (what libvirt's domain XML says for Nova).
struct QEMUCommandLine {
    var instance: Instance
    var paths: GuestPaths
    var kvm: Bool
    var vncListen: String
    /// Where the serial port's TCP server listens (the serial console); its output is also logged to the
    /// console file (`os-getConsoleOutput`).
    var serialListen = "127.0.0.1"
    /// The SPICE server's address and port (the host chose the port: QEMU's SPICE takes no port 0).
    var spice: (listen: String, port: Int)?
    /// Start waiting for saved state (`migrate-incoming`) instead of booting.
    var incoming = false
    /// Boot the rescue disk, with the guest's own disk as the second drive.
    var rescue = false
    /// Attach the config drive (read-only, after the disks).
    var configDrive = false

    var arguments: [String] {
        var arguments = [
            "-name", "guest=\(instance.instanceName),debug-threads=on",
            "-uuid", instance.uuid,
            "-machine", "pc,accel=\(kvm ? "kvm" : "tcg")",
        ]
        if kvm { arguments += ["-cpu", "host"] }
        arguments += [
            "-m", "\(max(instance.flavor.memoryMB, 16))",
            "-smp", "\(max(instance.flavor.vcpus, 1))",
            "-nodefaults", "-no-user-config",
        ]
        // Every disk is a -device of its own, in this order (the guest's vda, vdb, ...), and the one to boot says
        // so: without a boot index the firmware tries disks in PCI order, and -drive if=virtio devices come
        // after every -device, so a blank volume would be tried before the guest's own disk.
        if rescue {
            arguments += Self.disk("rescue", file: paths.rescueDisk, format: "qcow2", bootIndex: 0)
        }
        // The root disk: the guest's own (an overlay of its image), or its root volume, the first disk it boots.
        if let root = instance.rootVolume {
            arguments += Self.volume(root)?.arguments(bootIndex: rescue ? 1 : 0) ?? []
        } else {
            arguments += Self.disk("root", file: paths.disk, format: "qcow2", bootIndex: rescue ? 1 : 0)
        }
        // The flavor's ephemeral and swap disks, after the root disk (vdb, vdc), as libvirt orders them.
        if instance.flavor.ephemeralGB > 0 {
            arguments += Self.disk("ephemeral0", file: paths.ephemeralDisk, format: "qcow2", bootIndex: nil)
        }
        if instance.flavor.swapMB > 0 {
            arguments += Self.disk("swap0", file: paths.swapDisk, format: "qcow2", bootIndex: nil)
        }
        if configDrive {
            arguments += Self.disk("config", file: paths.configDrive, format: "raw", bootIndex: nil, readOnly: true)
        }
        for device in instance.blockDevices ?? [] where device.bootIndex != 0 {
            arguments += Self.volume(device)?.arguments() ?? []
        }
        arguments += [
            "-vga", "std", "-display", "none",
            // QEMU takes the first free display from 0: the driver reads the port back over QMP.
            "-vnc", "\(vncListen):0,to=4000",
        ]
        // No password on the SPICE server: like the VNC server, only the console proxy's token guards it
        // (libvirt's spice graphics without a passwd, as Nova writes them).
        if let spice { arguments += ["-spice", "port=\(spice.port),addr=\(spice.listen),disable-ticketing=on"] }
        arguments += [
            // The serial port: a TCP server on a port the kernel picks (read back over QMP for the serial
            // console), everything the guest writes also logged to the console file. No client: output is dropped.
            "-chardev",
            "socket,id=serial0,host=\(serialListen),port=0,server=on,wait=off,logfile=\(paths.console),logappend=on",
            "-serial", "chardev:serial0",
            "-qmp", "unix:\(paths.qmpSocket),server=on,wait=off",
            "-pidfile", paths.pidFile,
            "-daemonize",
        ]
        for vif in Self.pluggable(instance) {
            arguments += [
                "-netdev", "tap,id=\(Self.netdevID(vif)),ifname=\(vif.devname),script=no,downscript=no",
                "-device",
                "virtio-net-pci,netdev=\(Self.netdevID(vif)),id=\(Self.nicID(vif)),mac=\(vif.mac)"
                    + (Self.checksumsInGuest(vif) ? ",csum=off" : ""),
            ]
        }
        if Self.hasGuestAgent(instance) {
            arguments += [
                "-chardev", "socket,id=qga0,path=\(paths.agentSocket),server=on,wait=off",
                "-device", "virtio-serial-pci,id=vserial0",
                "-device", "virtserialport,bus=vserial0.0,chardev=qga0,name=org.qemu.guest_agent.0",
            ]
        }
        if incoming { arguments += ["-incoming", "defer"] }
        return arguments
    }

    /// The image says the guest runs QEMU's guest agent (`hw_qemu_guest_agent=yes`, as libvirt's driver
    /// reads it): the guest gets its virtio-serial port.
    static func hasGuestAgent(_ instance: Instance) -> Bool {
        let value = instance.schedulingRequest?.imageProperties["hw_qemu_guest_agent"]?.lowercased() ?? ""
        return ["yes", "true", "1", "on", "y", "t"].contains(value)
    }

    /// The NICs this driver plugs: ports bound by a switch that takes taps (Open vSwitch). Ports of the noop
    /// mechanism driver have no data plane, and the guest no NIC for them.
    /// QEMU's ids of a NIC's backend and device: named after the port, so that a NIC plugged at boot can be
    /// unplugged by the same name as one hot-plugged later.
    static func netdevID(_ vif: GuestVIF) -> String { "netdev-" + vif.devname }

    /// Whether the guest computes its own checksums (the NIC offers no checksum offload): on a bridge of Open
    /// vSwitch's userspace datapath, which (3.1) drops a packet with an unfinished checksum that it would send
    /// into a tunnel, that is to a guest on another host.
    /// A connected volume's QEMU objects (nil before its connection info is known).
    static func volume(_ device: BlockDeviceMapping) -> QEMUVolume? {
        guard let text = device.connectionInfo, let connection = JSON.parse(Array(text.utf8)) else { return nil }
        return try? QEMUVolume(device: device, connection: connection)
    }

    /// A disk file as a virtio-blk device (written back through the host's cache, as Nova's default).
    static func disk(_ name: String, file: String, format: String, bootIndex: Int?, readOnly: Bool = false)
        -> [String]
    {
        [
            "-drive",
            "file=\(file),format=\(format),if=none,id=drive-\(name),cache=writeback" + (readOnly ? ",readonly=on" : ""),
            "-device",
            "virtio-blk-pci,drive=drive-\(name),id=disk-\(name)" + (bootIndex.map { ",bootindex=\($0)" } ?? ""),
        ]
    }

    static func checksumsInGuest(_ vif: GuestVIF) -> Bool { vif.datapathType == "netdev" }
    static func nicID(_ vif: GuestVIF) -> String { "nic-" + vif.devname }

    static func pluggable(_ instance: Instance) -> [GuestVIF] {
        (instance.vifs ?? []).filter { $0.type == "ovs" }
    }
}
