import Foundation
import Testing

@testable import SkiffKubelet

/// The runc runtime's plain file calls, against a real directory.
@Suite struct HostFilesTests {
    @Test func directoriesAreMadeWithTheirParentsAndFilesWrittenWhole() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-hostfiles-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        try HostFiles.makeDirectories(base + "/a/b/c")
        try HostFiles.makeDirectories(base + "/a/b/c") // already there: fine
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: base + "/a/b/c", isDirectory: &isDirectory) && isDirectory.boolValue)
        let bytes = [UInt8](repeating: 0x61, count: 200_000)
        try HostFiles.write(bytes, to: base + "/a/file")
        try HostFiles.write(Array("short".utf8), to: base + "/a/file") // truncated, not overlaid
        #expect(try String(contentsOfFile: base + "/a/file", encoding: .utf8) == "short")
        try HostFiles.write([], to: base + "/a/empty")
        #expect(try Data(contentsOf: URL(fileURLWithPath: base + "/a/empty")).isEmpty)
    }

    @Test func aPathThroughAFileIsAClearError() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-hostfiles-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        try HostFiles.makeDirectories(base)
        try HostFiles.write(Array("x".utf8), to: base + "/file")
        #expect {
            try HostFiles.makeDirectories(base + "/file/sub")
        } throws: { error in
            (error as? ContainerRuntimeError)?.message == "cannot create the directory \(base)/file/sub: Not a directory"
        }
        #expect {
            try HostFiles.write([1], to: base + "/missing/file")
        } throws: { error in
            (error as? ContainerRuntimeError)?.message == "cannot create \(base)/missing/file: No such file or directory"
        }
    }
}
