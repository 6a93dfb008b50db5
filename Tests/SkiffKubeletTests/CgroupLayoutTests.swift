import Testing

@testable import SkiffKubelet

/// Where runc puts a container's cgroups for a relative `cgroupsPath`, on both layouts.
@Suite struct CgroupLayoutTests {
    @Test func v1HierarchiesStartFromThisProcesssOwnCgroupInEach() {
        let own = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/k\n0::/\n"
        let mounts = """
            22 27 0:21 / /proc rw,relatime - proc proc rw
            31 30 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            32 30 0:27 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            33 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            34 30 0:29 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
            35 30 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """
        let layout = CgroupLayout.parse(ownCgroups: own, mountInfo: mounts)
        #expect(!layout.unified)
        #expect(Set(layout.directories("skiff/podu/c")) == [
            "/sys/fs/cgroup/memory/process_api/abc/skiff/podu/c", "/sys/fs/cgroup/pids/skiff/podu/c",
            "/sys/fs/cgroup/cpu,cpuacct/k/skiff/podu/c", "/sys/fs/cgroup/systemd/skiff/podu/c",
            "/sys/fs/cgroup/unified/skiff/podu/c",
        ])
    }

    @Test func theUnifiedLayoutStartsFromTheParentOfTheOwnCgroup() {
        let layout = CgroupLayout.parse(
            ownCgroups: "0::/user.slice/session-1.scope\n",
            mountInfo: "30 22 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate")
        #expect(layout.unified)
        #expect(layout.directories("skiff/podu") == ["/sys/fs/cgroup/user.slice/skiff/podu"])
    }
}
