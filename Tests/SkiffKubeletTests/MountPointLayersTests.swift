import Foundation
import Testing

@testable import SkiffKubelet

/// The shared layer of mount points an image lacks, against real directories.
struct MountPointLayersTests {
    func withDirectory(_ body: (URL) throws -> Void) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-mountpoints-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        try body(base)
    }

    @Test func onlyWhatNoLayerHasIsAddedOncePerImage() throws {
        try withDirectory { base in
            let fm = FileManager.default
            let bottom = base.appendingPathComponent("bottom"), top = base.appendingPathComponent("top")
            try fm.createDirectory(at: bottom.appendingPathComponent("proc"), withIntermediateDirectories: true)
            try fm.createDirectory(at: top.appendingPathComponent("etc"), withIntermediateDirectories: true)
            try Data("127.0.0.1 localhost\n".utf8).write(to: top.appendingPathComponent("etc/hosts"))
            #expect(MountPointLayers.missingEntries(in: [bottom, top]) == ["sys", "dev", "etc/hostname", "etc/resolv.conf"])

            let layers = MountPointLayers(directory: base.appendingPathComponent("run/mountpoints"))
            let layer = try #require(try layers.layer(above: [bottom, top]))
            let made = try fm.subpathsOfDirectory(atPath: layer.path).sorted()
            #expect(made == ["dev", "etc", "etc/hostname", "etc/resolv.conf", "sys"])
            #expect(try fm.attributesOfItem(atPath: layer.path + "/etc/hostname")[.size] as? Int == 0)
            // The same image gets the same layer; another image its own.
            #expect(try layers.layer(above: [bottom, top]) == layer)
            #expect(try layers.layer(above: [top]) != layer)
            layers.removeAll()
            #expect(!fm.fileExists(atPath: base.appendingPathComponent("run/mountpoints").path))
        }
    }

    @Test func anImageWithEveryMountPointGetsNoLayer() throws {
        try withDirectory { base in
            let full = base.appendingPathComponent("full")
            for entry in MountPointLayers.directories {
                try FileManager.default.createDirectory(at: full.appendingPathComponent(entry), withIntermediateDirectories: true)
            }
            for file in MountPointLayers.etcFiles { try Data().write(to: full.appendingPathComponent(file)) }
            #expect(try MountPointLayers(directory: base.appendingPathComponent("mp")).layer(above: [full]) == nil)
        }
    }

    @Test func anEtcThatIsNotADirectoryIsNotHidden() throws {
        try withDirectory { base in
            let image = base.appendingPathComponent("image")
            try FileManager.default.createDirectory(at: image.appendingPathComponent("private/etc"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: image.appendingPathComponent("etc").path, withDestinationPath: "private/etc")
            #expect(MountPointLayers.missingEntries(in: [image]) == ["proc", "sys", "dev"])
        }
    }
}
