@testable import SkiffKubelet
import Testing

/// Choosing between runc and crun, without running either.
@Suite struct OCIRuntimeTests {
    static let hybrid = """
        30 24 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:4 - tmpfs tmpfs ro,mode=755
        31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:5 - cgroup2 cgroup2 rw
        33 30 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:7 - cgroup cgroup rw,memory
        """

    /// crun 1.8 refuses a hybrid host whose cgroup2 hierarchy holds a controller: the reason says which and how.
    @Test func crunOnAHybridHostNamesTheControllerToMountAsV1() throws {
        let problem = try #require(OCIRuntime.hybridCgroupProblem(mountInfo: Self.hybrid) { _ in "hugetlb\n" })
        #expect(problem.contains("/sys/fs/cgroup/unified holds hugetlb"), "\(problem)")
        #expect(problem.contains("mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb"), "\(problem)")
        // An empty cgroup2 hierarchy (every controller on v1), a pure v1 host, or a pure v2 host are fine.
        #expect(OCIRuntime.hybridCgroupProblem(mountInfo: Self.hybrid) { _ in "\n" } == nil)
        let v2 = "31 24 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw"
        #expect(OCIRuntime.hybridCgroupProblem(mountInfo: v2) { _ in "cpu memory pids" } == nil)
        let v1 = "33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory"
        #expect(OCIRuntime.hybridCgroupProblem(mountInfo: v1) { _ in nil } == nil)
    }

    /// A missing program fails the start in runc's words, which users and tools match on.
    @Test func crunStartErrorsReadAsRuncs() {
        #expect(RuncRuntime.runcWording(ofCrun: "executable file `/no/such/binary` not found in $PATH: No such file or directory")
            == #"runc create failed: unable to start container process: exec: "/no/such/binary": stat /no/such/binary: no such file or directory"#)
        #expect(RuncRuntime.runcWording(ofCrun: "executable file `nginx` not found in $PATH: No such file or directory")
            == #"runc create failed: unable to start container process: exec: "nginx": executable file not found in $PATH"#)
        #expect(RuncRuntime.runcWording(ofCrun: "mount `/x` to `/y`: Permission denied") == "mount `/x` to `/y`: Permission denied")
    }

    /// crun joins a relative cgroup path to each hierarchy's root; runc to this process's own cgroup.
    @Test func crunsCgroupsAreRootBased() {
        let own = "4:memory:/process_api/abc\n0::/\n"
        let mounts = "33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory"
        let runc = CgroupLayout.parse(ownCgroups: own, mountInfo: mounts)
        let crun = CgroupLayout.parse(ownCgroups: own, mountInfo: mounts, rootBased: true)
        #expect(runc.directories("skiff/podx") == ["/sys/fs/cgroup/memory/process_api/abc/skiff/podx"])
        #expect(crun.directories("skiff/podx") == ["/sys/fs/cgroup/memory/skiff/podx"])
    }
}
