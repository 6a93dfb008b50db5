import Foundation
import SkiffJSON

/// The OCI runtime `config.json` of one container, as containerd's CRI plugin would write it for a pod's
/// container: root user, Docker's default capabilities, the standard mounts, the pod's namespaces joined,
/// its own PID and mount namespaces, cgroup limits, and volumes as bind mounts.
struct OCIConfig {
    var argv: [String]
    var environment: [String: String]
    var workingDirectory: String
    var mounts: [ContainerMount]
    /// The pod's `/etc/hosts`, `/etc/hostname` and `/etc/resolv.conf` on the host.
    var etcFiles: [(containerPath: String, hostPath: String)]
    /// Namespaces to join, by OCI type (`network`, `ipc`, `uts`, `pid`): a path, or nil for a new one.
    var namespaces: [(type: String, path: String?)]
    var cgroupsPath: String
    var resources: ContainerResources
    /// `tty: true`: the process runs on a terminal of its own, whose master runc hands over.
    var terminal = false

    /// Docker's (and containerd's) default capability set.
    static let capabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    static let maskedPaths = [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]
    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// The document, written with the project's own JSON writer (Foundation's took a millisecond per container).
    func json() -> [UInt8] {
        var env = environment
        if env["PATH"] == nil { env["PATH"] = ProcessRuntime.defaultPath }
        var mountList: [JSONValue] = [
            ["destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]],
            ["destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
            ["destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]],
            ["destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]],
            ["destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]],
            ["destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]],
            ["destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]],
        ]
        for file in etcFiles {
            mountList.append(["destination": .string(file.containerPath), "type": "bind", "source": .string(file.hostPath),
                              "options": ["rbind", "rprivate"]])
        }
        // Volumes last, so one mounted over /etc/hosts (or anywhere) wins, as the kubelet orders them.
        for mount in mounts {
            let options: [JSONValue] = ["rbind", "rprivate"] + (mount.readOnly ? ["ro"] : [])
            mountList.append(["destination": .string(mount.containerPath), "type": "bind", "source": .string(mount.hostPath),
                              "options": .array(options)])
        }
        var linuxResources: JSONObject = ["devices": [["allow": false, "access": "rwm"]]]
        if let limit = resources.memoryLimitBytes { linuxResources["memory"] = ["limit": .int(Int64(limit))] }
        var cpu = JSONObject()
        if let shares = resources.cpuShares { cpu["shares"] = .int(Int64(shares)) }
        if let quota = resources.cpuQuotaMicros {
            cpu["quota"] = .int(Int64(quota))
            cpu["period"] = .int(Int64(resources.cpuPeriodMicros))
        }
        if !cpu.isEmpty { linuxResources["cpu"] = .object(cpu) }
        if let pids = resources.pidsLimit { linuxResources["pids"] = ["limit": .int(Int64(pids))] }
        let capabilities = JSONValue.array(Self.capabilities.map { .string($0) })
        let config: JSONValue = [
            "ociVersion": "1.0.2-dev",
            "process": [
                "terminal": .bool(terminal),
                "user": ["uid": 0, "gid": 0],
                "args": .array(argv.map { .string($0) }),
                "env": .array(env.sorted { $0.key < $1.key }.map { .string("\($0.key)=\($0.value)") }),
                "cwd": .string(workingDirectory),
                "capabilities": ["bounding": capabilities, "effective": capabilities, "permitted": capabilities],
                "oomScoreAdj": 1000,
            ],
            "root": ["path": "rootfs", "readonly": false],
            "mounts": .array(mountList),
            "linux": [
                "cgroupsPath": .string(cgroupsPath),
                "resources": .object(linuxResources),
                "namespaces": .array(namespaces.map { namespace -> JSONValue in
                    var entry: JSONObject = ["type": .string(namespace.type)]
                    if let path = namespace.path { entry["path"] = .string(path) }
                    return .object(entry)
                }),
                "maskedPaths": .array(Self.maskedPaths.map { .string($0) }),
                "readonlyPaths": .array(Self.readonlyPaths.map { .string($0) }),
            ],
        ]
        return config.prettySerialized()
    }
}
