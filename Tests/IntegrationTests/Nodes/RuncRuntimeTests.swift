import Foundation
import SkiffJSON
import SkiffKubelet
import SkiffTesting
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The runc runtime against the real OCI program (crun where it can run, else runc), as root: namespaces,
/// overlayfs roots, cgroups, bridge addresses, exits, OOM kills, exec and teardown; and each program alone.
/// Without root or runc the tests pass vacuously, except in CI (CI=true), where runc is required.
@Suite(.serialized) struct RuncRuntimeTests {
    static let podCIDR = "10.244.250.0/24"

    /// A data directory, a busybox layer and a runtime, with the runtime's exits collected.
    final class Fixture: Sendable {
        let base: URL
        let data: URL
        let layer: URL
        let runtime: RuncRuntime
        let exits = Exits()
        let collector: Task<Void, Never>

        final class Exits: Sendable {
            let byID = Mutex<[String: ContainerExit]>([:])
            func withLock<T>(_ body: (inout [String: ContainerExit]) -> T) -> T { byID.withLock { body(&$0) } }
        }

        init(podCIDR: String? = RuncRuntimeTests.podCIDR, data existing: URL? = nil, oci: OCIRuntime = .preferred) throws {
            base = existing?.deletingLastPathComponent()
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("skiff-runc-\(UUID().uuidString.prefix(8))")
            data = base.appendingPathComponent("data")
            layer = base.appendingPathComponent("layer")
            if existing == nil { try Self.makeBusyboxLayer(at: layer) }
            runtime = try RuncRuntime(dataDirectory: data, podCIDR: podCIDR, oci: oci)
            let runtime = runtime, exits = exits
            collector = Task {
                for await exit in runtime.exits { exits.withLock { $0[exit.containerID] = exit } }
            }
        }

        static func makeBusyboxLayer(at layer: URL) throws {
            let bin = layer.appendingPathComponent("bin")
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: layer.appendingPathComponent("etc"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: layer.appendingPathComponent("tmp"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "/usr/bin/busybox", toPath: bin.appendingPathComponent("busybox").path)
            for applet in ["sh", "cat", "echo", "sleep", "hostname", "httpd", "wget", "head", "tr", "ps", "ls", "env", "id", "grep", "wc",
                           "tty", "stty", "mkdir", "nslookup", "timeout"] {
                try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent(applet).path, withDestinationPath: "busybox")
            }
            try "root:x:0:0:root:/root:/bin/sh\n".write(to: layer.appendingPathComponent("etc/passwd"), atomically: true, encoding: .utf8)
        }

        func pod(_ name: String, uid: String = UUID().uuidString.lowercased(), shareProcessNamespace: Bool = false)
            throws -> (uid: String, sandbox: PodSandbox)
        {
            let sandbox = try runtime.preparePod(PodSandboxConfig(uid: uid, name: name, namespace: "default", hostname: name,
                                                                  shareProcessNamespace: shareProcessNamespace))
            return (uid, sandbox)
        }

        func start(_ uid: String, _ name: String, _ script: String, environment: [String: String] = [:],
                   mounts: [ContainerMount] = [], resources: ContainerResources = ContainerResources()) throws -> ContainerHandle {
            try runtime.start(ContainerLaunch(podUID: uid, name: name, restartCount: 0, argv: ["sh", "-c", script],
                                              environment: environment, imageLayers: [layer], mounts: mounts,
                                              resources: resources))
        }

        func exit(_ handle: ContainerHandle, timeout: Duration = .seconds(30)) async -> ContainerExit? {
            _ = await waitUntil(timeout: timeout) { self.exits.withLock { $0[handle.id] != nil } }
            return exits.withLock { $0[handle.id] }
        }

        func log(_ uid: String, _ name: String) -> String {
            (try? String(contentsOf: runtime.logFile(podUID: uid, container: name, restartCount: 0), encoding: .utf8)) ?? ""
        }

        /// The text of a log's lines for `stream`, without the CRI prefix.
        func lines(_ uid: String, _ name: String, stream: String = "stdout") -> [String] {
            log(uid, name).split(separator: "\n").compactMap { line in
                let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
                guard fields.count == 4, fields[1] == stream else { return nil }
                return String(fields[3])
            }
        }

        func finish() async {
            await runtime.shutdown(grace: .seconds(2))
            // The state tmpfs goes with the last pod.
            #expect(RuncRuntimeTests.mounts(under: base) == [])
            collector.cancel()
            try? FileManager.default.removeItem(at: base)
        }
    }

    /// Runs `body` on a new fixture and tears it down (pods, containers, files) even when `body` fails.
    static func withFixture(_ body: (Fixture) async throws -> Void) async throws {
        guard available() else { return }
        let f = try Fixture()
        do {
            try await body(f)
        } catch {
            await f.finish()
            throw error
        }
        await f.finish()
    }

    /// Skips (passes) where runc cannot run, except in CI.
    static func available() -> Bool {
        if let reason = RuncRuntime.unavailableReason() {
            #expect(ProcessInfo.processInfo.environment["CI"] != "true", "runc is required in CI: \(reason)")
            return false
        }
        return true
    }

    /// The containers the OCI program (the runtime's default one) lists in the data directory's state.
    static func runcList(_ data: URL) async throws -> String {
        let result = try await Kubectl.runProcess(OCIRuntime.preferred.path,
                                                  ["--root", data.appendingPathComponent("run/runc").path, "list", "-q"])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Reads a descriptor to its end (EIO from a terminal whose other side closed counts as the end).
    static func drain(_ fd: Int32) -> String {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count < 0, errno == EINTR {
                continue
            } else {
                break
            }
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Mount points under `directory` (read with `read(2)`: Foundation stops /proc files at 4 KiB).
    static func mounts(under directory: URL) -> [String] {
        let fd = open("/proc/self/mountinfo", O_RDONLY)
        let text = fd >= 0 ? drain(fd) : ""
        if fd >= 0 { close(fd) }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[4].hasPrefix(directory.path) else { return nil }
            return String(fields[4])
        }
    }

    /// The type of the file system mounted exactly at `point` (mountinfo's field after the ` - `), if any.
    static func fileSystemType(mountedAt point: URL) -> String? {
        let fd = open("/proc/self/mountinfo", O_RDONLY)
        let text = fd >= 0 ? drain(fd) : ""
        if fd >= 0 { close(fd) }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 4, fields[4] == point.path, let dash = fields.firstIndex(of: "-"),
                  dash + 1 < fields.count else { continue }
            return fields[dash + 1]
        }
        return nil
    }

    /// Mount points of pods under `data`: all of them but the state tmpfs itself (`DATA_DIR/run`).
    static func podMounts(under data: URL) -> [String] {
        mounts(under: data).filter { $0 != data.appendingPathComponent("run").path }
    }

    /// Every cgroup directory of the pod (`…/skiff/pod<uid>`), in any hierarchy, v1 or v2.
    static func cgroupDirectories(podUID: String) async throws -> [String] {
        let found = try await Kubectl.runProcess("/usr/bin/find", ["/sys/fs/cgroup", "-maxdepth", "8", "-type", "d",
                                                                  "-name", "pod\(podUID)"])
        return found.stdout.split(separator: "\n").map(String.init)
    }

    @Test func aContainerExitsWithItsCodeAndLogsBothStreamsInCRIFormat() async throws {
        try await Self.withFixture { f in
            let (uid, _) = try f.pod("exits")
            let clock = ContinuousClock()
            let begun = clock.now
            let handle = try f.start(uid, "c", "echo out; echo err >&2; exit 7")
            let startTook = clock.now - begun
            #expect(handle.id.hasPrefix("runc://"))
            let exit = await f.exit(handle)
            #expect(exit?.exitCode == 7)
            #expect(exit?.reason == nil)
            #expect(f.lines(uid, "c") == ["out"])
            #expect(f.lines(uid, "c", stream: "stderr") == ["err"])
            let first = f.log(uid, "c").split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) F (out|err)$"#, options: .regularExpression) != nil,
                    "\(first)")
            print("runc start of one container took \(startTook)")
            f.runtime.removePod(uid: uid)
        }
    }

    @Test func theHostnameIsThePodsAndThePodHasAnAddressOnTheBridge() async throws {
        try await Self.withFixture { f in
            let (uid, sandbox) = try f.pod("web-1")
            let ip = try #require(sandbox.ip)
            #expect(ip.hasPrefix("10.244.250."))
            let handle = try f.start(uid, "c", "hostname; cat /etc/hostname; grep web-1 /etc/hosts; ps -o pid | wc -l")
            #expect(await f.exit(handle)?.exitCode == 0)
            let lines = f.lines(uid, "c")
            #expect(lines.prefix(3) == ["web-1", "web-1", "\(ip)\tweb-1"], "\(lines)")
            // Its own PID namespace: ps sees the header, sh, ps and wc.
            #expect((Int(lines.last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 99) < 6, "\(lines)")
            f.runtime.removePod(uid: uid)
        }
    }

    /// The host end of a pod's veth pair, as the runtime names it.
    static func hostInterface(_ podUID: String) -> String { "veth" + String(podUID.filter(\.isHexDigit).prefix(11)) }

    @Test func podsReachEachOtherAndTheGatewayAcrossTheBridge() async throws {
        try await Self.withFixture { f in
            let (serverUID, serverSandbox) = try f.pod("server")
            let serverIP = try #require(serverSandbox.ip)
            let server = try f.start(serverUID, "httpd", "busybox mkdir -p /www && echo hello > /www/index.html && httpd -f -p 80 -h /www")
            let (clientUID, clientSandbox) = try f.pod("client")
            #expect(clientSandbox.ip != serverIP)
            let client = try f.start(clientUID, "c", """
                for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://\(serverIP)/index.html && break; sleep 0.2; done
                grep -c . /proc/net/route
                """)
            #expect(await f.exit(client)?.exitCode == 0)
            // The answer, then the route table: its header, the default route and the pod range's own.
            #expect(f.lines(clientUID, "c") == ["hello", "3"], "\(f.log(clientUID, "c"))")
            let veth = "/sys/class/net/\(Self.hostInterface(serverUID))"
            #expect((try? String(contentsOfFile: veth + "/operstate", encoding: .utf8)) == "up\n")
            #expect(FileManager.default.fileExists(atPath: veth + "/brport"))
            f.runtime.stop(containerID: server.id, force: true)
            _ = await f.exit(server)
            f.runtime.removePod(uid: serverUID)
            f.runtime.removePod(uid: clientUID)
        }
    }

    /// runc and crun each run the same containers: exit codes and logs, a terminal, exec, an OOM kill, and
    /// teardown. crun may be missing, or refuse a hybrid cgroup host: then it says which, and runc is chosen.
    @Test(arguments: OCIRuntime.allCases) func eachOCIProgramRunsContainersTerminalsAndOOMKills(oci: OCIRuntime) async throws {
        guard Self.available() else { return }
        if let reason = oci.unavailableReason {
            #expect(oci == .crun, "\(reason)")
            #expect(reason.contains("not installed") || reason.contains("hybrid cgroup layout"), "\(reason)")
            #expect(OCIRuntime.preferred == .runc)
            return
        }
        let f = try Fixture(oci: oci)
        do {
            #expect(f.runtime.version.hasPrefix("\(oci.rawValue)://"), "\(f.runtime.version)")
            let (uid, _) = try f.pod("each")
            let plain = try f.start(uid, "plain", "echo out; echo err >&2; exit 3")
            #expect(await f.exit(plain)?.exitCode == 3)
            #expect(f.lines(uid, "plain") == ["out"] && f.lines(uid, "plain", stream: "stderr") == ["err"])
            var launch = ContainerLaunch(podUID: uid, name: "term", restartCount: 0, argv: ["sh", "-c", "busybox tty; sleep 3600"],
                                         imageLayers: [f.layer], tty: true)
            launch.stdin = true
            let term = try f.runtime.start(launch)
            let exec = try f.runtime.exec(containerID: term.id, ExecCommand(argv: ["sh", "-c", "echo in-$HOSTNAME; exit 4"]))
            #expect(await exec.exitCode() == 4)
            f.runtime.stop(containerID: term.id, force: true)
            #expect(await f.exit(term)?.exitCode == 137)
            #expect(f.lines(uid, "term").first?.hasPrefix("/dev/pts/") == true, "\(f.lines(uid, "term"))")
            let hog = try f.start(uid, "hog", #"x=$(head -c 134217728 /dev/zero | tr "\0" a); echo survived"#,
                                  resources: ContainerResources(memoryLimitBytes: 16 << 20))
            let exit = await f.exit(hog)
            #expect(exit?.reason == "OOMKilled" && exit?.exitCode == 137, "\(String(describing: exit))")
            f.runtime.removePod(uid: uid)
            #expect(try await Self.cgroupDirectories(podUID: uid) == [])
            let listed = try await Kubectl.runProcess(oci.path, ["--root", f.data.appendingPathComponent("run/runc").path, "list", "-q"])
            #expect(listed.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "")
        } catch {
            await f.finish()
            throw error
        }
        await f.finish()
    }

    @Test func aTTYContainerRunsOnATerminalWhoseInputAndSizeTheKubeletHolds() async throws {
        try await Self.withFixture { f in
            let (uid, _) = try f.pod("term")
            var launch = ContainerLaunch(podUID: uid, name: "c", restartCount: 0,
                                         argv: ["sh", "-c", "busybox tty; read line; echo \"got $line\"; busybox stty size; read rest || echo eof"],
                                         imageLayers: [f.layer], stdin: true, tty: true)
            launch.stdinOnce = true
            let handle = try f.runtime.start(launch)
            f.runtime.resizeTerminal(containerID: handle.id, columns: 100, rows: 30)
            let input = try #require(f.runtime.attachStdin(containerID: handle.id))
            let line = Array("hello\n".utf8)
            #expect(line.withUnsafeBytes { write(input, $0.baseAddress, $0.count) } == line.count)
            close(input)
            // stdinOnce: the first client's end is the container's EOF, and no second client gets its stdin.
            f.runtime.detachStdin(containerID: handle.id)
            #expect(f.runtime.attachStdin(containerID: handle.id) == nil)
            #expect(await f.exit(handle)?.exitCode == 0)
            let lines = f.lines(uid, "c")
            for expected in ["/dev/pts/0", "got hello", "30 100", "eof"] {
                #expect(lines.contains(expected), "\(expected): \(f.log(uid, "c"))")
            }
            // One stream on a terminal: nothing is logged as stderr.
            #expect(f.lines(uid, "c", stream: "stderr").isEmpty)
            f.runtime.removePod(uid: uid)
        }
    }

    @Test func twoContainersOfAPodShareLocalhostAndAVolume() async throws {
        try await Self.withFixture { f in
            let (uid, _) = try f.pod("pair")
            let volume = f.base.appendingPathComponent("volume")
            try FileManager.default.createDirectory(at: volume, withIntermediateDirectories: true)
            let file = f.base.appendingPathComponent("greeting.txt")
            try "from a file mount\n".write(to: file, atomically: true, encoding: .utf8)
            let server = try f.start(uid, "server", "httpd -f -p 8080 -h /srv/www",
                                     mounts: [ContainerMount(hostPath: volume.path, containerPath: "/srv/www")])
            let client = try f.start(uid, "client", """
                echo shared > /data/index.html
                for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/index.html && break; sleep 0.2; done
                cat /etc/app/greeting.txt
                echo nope > /etc/app/greeting.txt || echo read-only
                """, mounts: [ContainerMount(hostPath: volume.path, containerPath: "/data"),
                              ContainerMount(hostPath: file.path, containerPath: "/etc/app/greeting.txt", readOnly: true)])
            #expect(await f.exit(client)?.exitCode == 0)
            #expect(f.lines(uid, "client") == ["shared", "from a file mount", "read-only"], "\(f.log(uid, "client"))")
            #expect(try String(contentsOf: volume.appendingPathComponent("index.html"), encoding: .utf8) == "shared\n")
            f.runtime.stop(containerID: server.id, force: true)
            #expect(await f.exit(server)?.exitCode == 137)
            f.runtime.removePod(uid: uid)
        }
    }

    @Test func aContainerOverItsMemoryLimitEndsOOMKilledAndLimitsReachTheCgroup() async throws {
        try await Self.withFixture { f in
            let (uid, _) = try f.pod("limits")
            let limits = try f.start(uid, "limits", """
                cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null
                cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null
                cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max 2>/dev/null
                true
                """, resources: ContainerResources(memoryLimitBytes: 64 << 20, cpuShares: 512, cpuQuotaMicros: 50_000,
                                                    pidsLimit: 42))
            #expect(await f.exit(limits)?.exitCode == 0)
            let lines = f.lines(uid, "limits")
            #expect(lines == ["67108864", "42", "50000"] || lines == ["67108864", "42", "50000 100000"], "\(lines)")
            let hog = try f.start(uid, "hog", #"x=$(head -c 134217728 /dev/zero | tr "\0" a); echo survived"#,
                                  resources: ContainerResources(memoryLimitBytes: 16 << 20))
            let exit = await f.exit(hog)
            #expect(exit?.reason == "OOMKilled")
            #expect(exit?.exitCode == 137)
            f.runtime.removePod(uid: uid)
        }
    }

    @Test func execRunsInTheContainerWithStdinEnvironmentAndExitCode() async throws {
        try await Self.withFixture { f in
            let (uid, _) = try f.pod("exec")
            let handle = try f.start(uid, "c", "sleep 3600", environment: ["GREETING": "hello"])
            let process = try f.runtime.exec(containerID: handle.id, ExecCommand(argv: ["sh", "-c", "cat; echo $GREETING; hostname; exit 3"],
                                                                                   stdin: true))
            let input = try #require(process.stdin)
            _ = "piped\n".withCString { write(input, $0, 6) }
            close(input)
            let output = Self.drain(process.stdout)
            if let stderr = process.stderr { close(stderr) }
            close(process.stdout)
            #expect(await process.exitCode() == 3)
            #expect(output == "piped\nhello\nexec\n")

            let terminal = try f.runtime.exec(containerID: handle.id, ExecCommand(argv: ["sh", "-c", "test -t 0 && echo tty"], tty: true))
            let screen = Self.drain(terminal.stdout)
            close(terminal.stdout)
            if let input = terminal.stdin { close(input) }
            #expect(await terminal.exitCode() == 0)
            #expect(screen.contains("tty"), "\(screen)")

            f.runtime.stop(containerID: handle.id, force: true)
            #expect(await f.exit(handle)?.exitCode == 137)
            #expect(throws: ContainerRuntimeError.self) {
                try f.runtime.exec(containerID: handle.id, ExecCommand(argv: ["true"]))
            }
            do {
                _ = try f.runtime.exec(containerID: handle.id, ExecCommand(argv: ["true"]))
            } catch let error as ContainerRuntimeError {
                #expect(error.reason == "NotFound")
            }
            f.runtime.removePod(uid: uid)
        }
    }

    @Test func hostNetworkPodsUseTheNodesNetworkAndSharedProcessNamespacesAreShared() async throws {
        try await Self.withFixture { f in
            let host = try f.runtime.preparePod(PodSandboxConfig(uid: UUID().uuidString.lowercased(), name: "hostnet",
                                                                 namespace: "default", hostname: "hostnet", hostNetwork: true))
            #expect(host.ip == nil)
            let uid = host.directory.lastPathComponent
            let handle = try f.start(uid, "c", "hostname; ls /sys/class/net")
            #expect(await f.exit(handle)?.exitCode == 0)
            let lines = f.lines(uid, "c")
            #expect(lines.first == ProcessInfo.processInfo.hostName, "\(lines)")
            #expect(lines.contains("skiff250"), "the node's bridge is visible: \(lines)")
            f.runtime.removePod(uid: uid)

            let (shared, _) = try f.pod("shared", shareProcessNamespace: true)
            let sleeper = try f.start(shared, "sleeper", "sleep 3600")
            // The sleeper's start may still be on its way from runc's init to `sleep` (busy CI): look for a while.
            let looker = try f.start(shared, "looker",
                                     "for i in $(seq 50); do ps -o args | grep -q '^sleep 3600' && break; sleep 0.1; done; ps -o args")
            #expect(await f.exit(looker)?.exitCode == 0)
            #expect(f.lines(shared, "looker").contains("sleep 3600"), "\(f.lines(shared, "looker"))")
            f.runtime.stop(containerID: sleeper.id, force: true)
            #expect(await f.exit(sleeper)?.exitCode == 137)
            f.runtime.removePod(uid: shared)
        }
    }

    /// Zombie children of this process (orphans it inherited as the subreaper and nobody waited for).
    static func zombieChildren() -> [Int32] {
        let me = getpid()
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry) else { return nil }
            let fd = open("/proc/\(pid)/stat", O_RDONLY)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            let stat = drain(fd)
            guard let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && fields[0] == "Z" && Int32(fields[1]) == me ? pid : nil
        }
    }

    @Test func aKilledExecLeavesNoCommandNoZombieAndNoStuckContainer() async throws {
        try await Self.withFixture { f in
            let (uid, _) = try f.pod("zombies")
            let handle = try f.start(uid, "c", "sleep 3600")
            let before = Set(Self.zombieChildren())
            let probe = try f.runtime.exec(containerID: handle.id, ExecCommand(argv: ["sleep", "30"]))
            try await Task.sleep(for: .milliseconds(300))
            probe.kill()
            #expect(await probe.exitCode() == 137)
            close(probe.stdout)
            if let stderr = probe.stderr { close(stderr) }
            try await Task.sleep(for: .milliseconds(300))
            // The next exec collects what the killed one left.
            let next = try f.runtime.exec(containerID: handle.id, ExecCommand(argv: ["echo"]))
            let errors = next.stderr.map { Self.drain($0) } ?? ""
            #expect(await next.exitCode() == 0, "\(errors)")
            close(next.stdout)
            if let stderr = next.stderr { close(stderr) }
            #expect(Set(Self.zombieChildren()).subtracting(before).isEmpty, "\(Self.zombieChildren())")
            // The killed command is gone with its runc; the container's init, when killed, exits at once
            // (an unreaped zombie in its PID namespace would hold it).
            let top = try f.runtime.exec(containerID: handle.id, ExecCommand(argv: ["ps", "-o", "args"]))
            let processes = Self.drain(top.stdout)
            close(top.stdout)
            if let stderr = top.stderr { close(stderr) }
            _ = await top.exitCode()
            #expect(!processes.contains("sleep 30"), "\(processes)")
            let clock = ContinuousClock()
            let begun = clock.now
            f.runtime.removePod(uid: uid)
            #expect(clock.now - begun < .seconds(2))
            #expect(await f.exit(handle, timeout: .seconds(1))?.exitCode == 137)
        }
    }

    @Test func aMissingProgramFailsTheStartWithUpstreamsStartError() async throws {
        try await Self.withFixture { f in
            let (uid, _) = try f.pod("nocmd")
            do {
                _ = try f.runtime.start(ContainerLaunch(podUID: uid, name: "c", restartCount: 0, argv: ["/no/such/binary"],
                                                        imageLayers: [f.layer]))
                Issue.record("the start should have failed")
            } catch let error as ContainerRuntimeError {
                #expect(error.reason == "StartError")
                #expect(error.message.hasPrefix("failed to create containerd task: failed to create shim task: OCI runtime create failed: "),
                        "\(error.message)")
                #expect(error.message.contains(#"exec: "/no/such/binary": stat /no/such/binary: no such file or directory"#),
                        "\(error.message)")
            }
            #expect(try await Self.runcList(f.data) == "")
            #expect(Self.mounts(under: f.data.appendingPathComponent("pods/\(uid)/c")).isEmpty)
            #expect(Self.mounts(under: f.data.appendingPathComponent("run/pods/\(uid)/c")).isEmpty)
            f.runtime.removePod(uid: uid)
        }
    }

    @Test func removePodAndCleanUpLeftoversLeaveNoContainersMountsCgroupsOrNamespaces() async throws {
        try await Self.withFixture { f in
            let (uid, sandbox) = try f.pod("tidy")
            let handle = try f.start(uid, "c", "sleep 3600")
            let ip = try #require(sandbox.ip)
            #expect(!Self.podMounts(under: f.data).isEmpty)
            // The bundle and namespace files are on the state tmpfs; the writable layer is on disk.
            #expect(Self.fileSystemType(mountedAt: f.data.appendingPathComponent("run")) == "tmpfs")
            #expect(FileManager.default.fileExists(atPath: f.data.appendingPathComponent("run/pods/\(uid)/c/0/config.json").path))
            #expect(FileManager.default.fileExists(atPath: f.data.appendingPathComponent("run/pods/\(uid)/ns/net").path))
            // The mount points the layer lacks come from the shared layer: runc wrote nothing into this one.
            let upper = f.data.appendingPathComponent("pods/\(uid)/c/0/upper").path
            #expect(try FileManager.default.contentsOfDirectory(atPath: upper) == [])
            let cgroupsWhileRunning = try await Self.cgroupDirectories(podUID: uid)
            #expect(!cgroupsWhileRunning.isEmpty)
            f.runtime.stop(containerID: handle.id, force: true)
            #expect(await f.exit(handle)?.exitCode == 137)
            f.runtime.removePod(uid: uid)
            #expect(try await Self.runcList(f.data) == "")
            #expect(Self.podMounts(under: f.data) == [])
            #expect(try await Self.cgroupDirectories(podUID: uid) == [])
            #expect(!FileManager.default.fileExists(atPath: f.data.appendingPathComponent("pods/\(uid)").path))
            #expect(!FileManager.default.fileExists(atPath: f.data.appendingPathComponent("run/pods/\(uid)").path))
            #expect(!FileManager.default.fileExists(atPath: f.data.appendingPathComponent("cni/ipam/skiff/\(ip)").path))
            #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(Self.hostInterface(uid))"))

            // A kubelet that died left a running container: a new runtime on the same directory removes it all.
            let (left, leftSandbox) = try f.pod("left")
            let leftIP = try #require(leftSandbox.ip)
            let leftHandle = try f.start(left, "c", "sleep 3600")
            let leftVeth = "/sys/class/net/\(Self.hostInterface(left))"
            #expect(FileManager.default.fileExists(atPath: leftVeth))
            #expect((try? String(contentsOfFile: leftVeth + "/brport/hairpin_mode", encoding: .utf8)) == "1\n")
            let successor = try Fixture(data: f.data)
            successor.runtime.cleanUpLeftovers()
            #expect(try await Self.runcList(f.data) == "")
            #expect(Self.podMounts(under: f.data) == [])
            #expect(try await Self.cgroupDirectories(podUID: left) == [])
            #expect(!FileManager.default.fileExists(atPath: f.data.appendingPathComponent("run/pods/\(left)").path))
            #expect(!FileManager.default.fileExists(atPath: f.data.appendingPathComponent("pods/\(left)/c/0").path))
            #expect(!FileManager.default.fileExists(atPath: f.data.appendingPathComponent("cni/ipam/skiff/\(leftIP)").path))
            #expect(!FileManager.default.fileExists(atPath: leftVeth))
            #expect(await f.exit(leftHandle)?.exitCode == 137)
            successor.collector.cancel()
        }
    }

    @Test func whatAKubeletBeforeTheStateTmpfsLeftIsRemoved() async throws {
        try await Self.withFixture { f in
            // An older kubelet's layout: runc's state in DATA_DIR/runc, a bundle and namespace files in the
            // pod's directory on disk, and its container still running.
            let runc = RuncRuntime.defaultRuncPath
            let legacyRoot = f.data.appendingPathComponent("runc").path
            let pod = f.data.appendingPathComponent("pods/legacy-pod")
            let bundle = pod.appendingPathComponent("c/0")
            try FileManager.default.createDirectory(at: pod.appendingPathComponent("ns"), withIntermediateDirectories: true)
            try Data().write(to: pod.appendingPathComponent("ns/ipc"))
            try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
            #expect(try await Kubectl.runProcess(runc, ["spec", "--bundle", bundle.path]).status == 0)
            var config = try JSONValue(parsing: Array(Data(contentsOf: bundle.appendingPathComponent("config.json"))))
            config["process"]?["terminal"] = false
            config["process"]?["args"] = ["sleep", "3600"]
            config["root"] = ["path": .string(f.layer.path), "readonly": true]
            let namespaces = (config["linux"]?["namespaces"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "network" }
            config["linux"]?["namespaces"] = .array(namespaces)
            try Data(config.serialized()).write(to: bundle.appendingPathComponent("config.json"))
            let started = try await Kubectl.runProcess("/bin/sh", ["-c", "\(runc) --root \(legacyRoot) run -d --bundle \(bundle.path) legacy-c >/dev/null 2>&1 </dev/null"])
            #expect(started.status == 0, "\(started)")
            let state = try JSONValue(parsing: Array(try await Kubectl.runProcess(runc, ["--root", legacyRoot, "state", "legacy-c"]).stdout.utf8))
            let pid = try #require(state["pid"]?.intValue)

            let successor = try Fixture(data: f.data)
            successor.runtime.cleanUpLeftovers()
            #expect(!FileManager.default.fileExists(atPath: legacyRoot))
            #expect(!FileManager.default.fileExists(atPath: pod.appendingPathComponent("ns").path))
            #expect(!FileManager.default.fileExists(atPath: bundle.path))
            // Killed (a zombie until the reaper gets it has no command line).
            #expect(await waitUntil(timeout: .seconds(5)) {
                ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").isEmpty
            })
            successor.collector.cancel()
        }
    }
}
