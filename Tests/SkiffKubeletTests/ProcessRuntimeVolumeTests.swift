import Foundation
import SkiffTesting
import Testing

@testable import SkiffKubelet

#if canImport(Glibc)
    import Glibc
#endif

/// How a process container's root is planned (a fake host), and real containers whose volumes are at their
/// mountPaths while the host's own directories stay untouched.
struct ProcessRuntimeVolumeTests {
    /// A host with `/etc` (two files and a symlink), `/bin` → `usr/bin`, `/usr/bin`, `/tmp` and a root file.
    static let host = ContainerRootPlan.Host(
        entries: { path in
            switch path {
            case "/": ["bin", "etc", "tmp", "usr", "vmlinuz"]
            case "/etc": ["hosts", "passwd", "resolv.conf"]
            case "/usr": ["bin"]
            case "/usr/bin": ["sh"]
            default: []
            }
        },
        kind: { path in
            switch path {
            case "/bin": .symlink("usr/bin")
            case "/etc/resolv.conf": .symlink("/run/resolv.conf")
            case "/etc", "/tmp", "/usr", "/usr/bin", "/vol/a", "/vol/b": .directory
            case "/etc/hosts", "/etc/passwd", "/vmlinuz", "/usr/bin/sh", "/vol/file": .other
            default: nil
            }
        })

    @Test func theWayToAMountPathIsMadeOnTheTmpfsAndTheRestIsBound() throws {
        let plan = try ContainerRootPlan(newRoot: "/r", mounts: [ContainerMount(hostPath: "/vol/a", containerPath: "/etc/config", readOnly: true)],
                                         host: Self.host)
        #expect(plan.steps == [
            .tmpfs("/r"),
            .symlink(destination: "usr/bin", at: "/r/bin"),
            .makeDirectory("/r/etc"),
            .makeFile("/r/etc/hosts"), .bind(source: "/etc/hosts", target: "/r/etc/hosts", readOnly: false),
            .makeFile("/r/etc/passwd"), .bind(source: "/etc/passwd", target: "/r/etc/passwd", readOnly: false),
            .symlink(destination: "/run/resolv.conf", at: "/r/etc/resolv.conf"),
            .makeDirectory("/r/tmp"), .bind(source: "/tmp", target: "/r/tmp", readOnly: false),
            .makeDirectory("/r/usr"), .bind(source: "/usr", target: "/r/usr", readOnly: false),
            .makeFile("/r/vmlinuz"), .bind(source: "/vmlinuz", target: "/r/vmlinuz", readOnly: false),
            .makeDirectory("/r/etc/config"), .bind(source: "/vol/a", target: "/r/etc/config", readOnly: true),
            .pivotRoot("/r"), .detach("/r"),
        ])
    }

    @Test func nestedMountsFileMountsAndSymlinkedParents() throws {
        let plan = try ContainerRootPlan(newRoot: "/r", mounts: [
            ContainerMount(hostPath: "/vol/b", containerPath: "/data/inner/"),
            ContainerMount(hostPath: "/vol/a", containerPath: "data"),
            ContainerMount(hostPath: "/vol/file", containerPath: "/bin/tool"),
        ], host: Self.host)
        let mountSteps = plan.steps.filter { if case .bind(let source, _, _) = $0 { source.hasPrefix("/vol") } else { false } }
        // The outer volume first, so the inner one is mounted inside it; /bin/tool is under /usr/bin.
        #expect(mountSteps == [
            .bind(source: "/vol/a", target: "/r/data", readOnly: false),
            .bind(source: "/vol/b", target: "/r/data/inner", readOnly: false),
            .bind(source: "/vol/file", target: "/r/usr/bin/tool", readOnly: false),
        ])
        // /data does not exist on the host: made on the tmpfs; /data/inner is made inside the volume.
        #expect(plan.steps.contains(.makeDirectory("/r/data")))
        #expect(plan.steps.contains(.makeDirectory("/r/data/inner")))
        #expect(plan.steps.contains(.makeFile("/r/usr/bin/tool")))
        #expect(plan.steps.contains(.bind(source: "/usr/bin/sh", target: "/r/usr/bin/sh", readOnly: false)))
        #expect(!plan.steps.contains(.bind(source: "/usr", target: "/r/usr", readOnly: false)))
        #expect(throws: ContainerRootPlan.PlanError.self) {
            try ContainerRootPlan(newRoot: "/r", mounts: [ContainerMount(hostPath: "/vol/a", containerPath: "/.")], host: Self.host)
        }
    }

    func withRuntime(_ body: (ProcessRuntime, URL) async throws -> Void) async throws {
        try await withProcessRuntime("process-volumes", body)
    }

    func log(_ runtime: ProcessRuntime, _ uid: String) -> String { containerLog(runtime, uid) }

    func output(of process: any ExecProcess) async -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(process.stdout, $0.baseAddress, 4096) }
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        _ = await process.exitCode()
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func volumesAreAtTheirMountPathsAndExecSeesThem() async throws {
        try await withRuntime { runtime, data in
            let config = data.appendingPathComponent("volume-config"), scratch = data.appendingPathComponent("volume-scratch")
            try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            try "hello".write(to: config.appendingPathComponent("greeting"), atomically: true, encoding: .utf8)
            let hostFile = data.appendingPathComponent("single-file")
            try "one file".write(to: hostFile, atomically: true, encoding: .utf8)
            let script = """
                cat /etc/skiff-test-config/greeting; echo
                cat /opt/skiff-test/file.txt; echo
                echo written > /scratch/out && echo wrote-scratch
                echo nope > /etc/skiff-test-config/new 2>/dev/null || echo read-only-refused
                test -s /etc/passwd && echo host-etc-kept
                pwd
                sleep 3600
                """
            let handle = try runtime.start(ContainerLaunch(
                podUID: "pv", name: "c", restartCount: 0, argv: ["sh", "-c", script], workingDirectory: "/scratch",
                mounts: [ContainerMount(hostPath: config.path, containerPath: "/etc/skiff-test-config", readOnly: true),
                         ContainerMount(hostPath: hostFile.path, containerPath: "/opt/skiff-test/file.txt"),
                         ContainerMount(hostPath: scratch.path, containerPath: "/scratch")]))
            #expect(await waitUntil(timeout: .seconds(10)) { self.log(runtime, "pv").contains("stdout F /scratch") })
            let text = log(runtime, "pv")
            for line in ["stdout F hello", "stdout F one file", "stdout F wrote-scratch", "stdout F read-only-refused",
                         "stdout F host-etc-kept"] {
                #expect(text.contains(line), "\(line) in \(text)")
            }
            // The writes went to the volume; the host's /etc and /opt never had the mountPaths.
            #expect((try? String(contentsOf: scratch.appendingPathComponent("out"), encoding: .utf8)) == "written\n")
            #expect(!FileManager.default.fileExists(atPath: "/etc/skiff-test-config"))
            #expect(!FileManager.default.fileExists(atPath: "/opt/skiff-test"))
            #expect(!FileManager.default.fileExists(atPath: "/scratch"))

            let exec = try runtime.exec(containerID: handle.id, ExecCommand(argv: ["cat", "/etc/skiff-test-config/greeting"]))
            #expect(await output(of: exec) == "hello")
            runtime.stop(containerID: handle.id, force: true)
        }
    }

    @Test func aMountThatCannotBeMadeFailsTheStartNamingIt() async throws {
        try await withRuntime { runtime, _ in
            #expect {
                try runtime.start(ContainerLaunch(podUID: "bad", name: "c", restartCount: 0, argv: ["true"],
                                                  mounts: [ContainerMount(hostPath: "/nonexistent/skiff-volume", containerPath: "/data")]))
            } throws: { error in
                let message = (error as? ContainerRuntimeError)?.message ?? ""
                return message.contains("cannot mount the container's volumes") && message.contains("/nonexistent/skiff-volume")
            }
        }
    }
}
