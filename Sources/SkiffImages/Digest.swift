import Crypto
public import Foundation

/// A content digest, `sha256:<64 lowercase hex>` (the only algorithm the store accepts).
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The 64 lowercase hex digits.
    public let hex: String

    public var description: String { "sha256:\(hex)" }

    /// The first 12 hex digits, as `docker images` and `skiff image ls` show an image ID.
    public var shortID: String { String(hex.prefix(12)) }

    /// Parses `sha256:<hex>`; throws `ImageError.invalidDigest` otherwise.
    public init(parsing text: String) throws {
        guard text.hasPrefix("sha256:") else { throw ImageError.invalidDigest(text) }
        let hex = String(text.dropFirst(7))
        guard hex.count == 64, hex.allSatisfy(\.isLowercaseHex) else { throw ImageError.invalidDigest(text) }
        self.hex = hex
    }

    init(hex: String) { self.hex = hex }

    /// The digest of `bytes`.
    public static func of(_ bytes: some DataProtocol) -> Digest {
        Digest(hex: SHA256.hash(data: bytes).hexString)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.hex < rhs.hex }
}

/// SHA-256 over a stream of chunks, counting bytes.
struct DigestHasher {
    private var hasher = SHA256()
    private(set) var count: Int64 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        count += Int64(bytes.count)
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    func finalize() -> Digest { Digest(hex: hasher.finalize().hexString) }
}

extension Sequence<UInt8> {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
