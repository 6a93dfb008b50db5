import Foundation
import Synchronization

/// Random identifiers (uids, generated-name suffixes) and RFC 3339 timestamps, made cheaply: every
/// create needs both, and taking randomness from the kernel eight bytes at a time cost a system call
/// per name and per uid, while formatting a date through Foundation cost more than storing the object.
enum Identifiers {
    /// Random bytes drawn from the system generator a page at a time.
    private static let pool = Mutex(RandomPool())

    private struct RandomPool {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var next = 4096

        mutating func take(_ count: Int, into body: (ArraySlice<UInt8>) -> Void) {
            if next + count > bytes.count {
                var generator = SystemRandomNumberGenerator()
                bytes.withUnsafeMutableBytes { raw in
                    var offset = 0
                    while offset + 8 <= raw.count {
                        raw.storeBytes(of: generator.next() as UInt64, toByteOffset: offset, as: UInt64.self)
                        offset += 8
                    }
                }
                next = 0
            }
            body(bytes[next..<(next + count)])
            next += count
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A random (version 4) UUID in lower case, as Kubernetes writes `metadata.uid`.
    static func uuid() -> String {
        var raw = [UInt8](repeating: 0, count: 16)
        pool.withLock { $0.take(16) { slice in raw.replaceSubrange(0..<16, with: slice) } }
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, byte) in raw.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Upstream's alphabet for generated names: no vowels and no look-alike characters.
    private static let nameAlphabet = Array("bcdfghjklmnpqrstvwxz2456789".utf8)

    /// Five random characters from `nameAlphabet` (upstream's `utilrand.String(5)`).
    static func nameSuffix() -> String {
        var suffix = [UInt8]()
        suffix.reserveCapacity(5)
        pool.withLock { pool in
            // Rejection sampling keeps every character equally likely.
            let limit = UInt8(256 - 256 % nameAlphabet.count)
            while suffix.count < 5 {
                pool.take(8) { slice in
                    for byte in slice where byte < limit && suffix.count < 5 {
                        suffix.append(nameAlphabet[Int(byte) % nameAlphabet.count])
                    }
                }
            }
        }
        return String(decoding: suffix, as: UTF8.self)
    }

    /// The last second formatted, since every object created within one second shares it.
    private static let lastTimestamp = Mutex<(seconds: Int, text: String)>((Int.min, ""))

    /// `date` in RFC 3339 at second precision in UTC (`2026-11-25T08:30:00Z`), as Kubernetes writes
    /// `metav1.Time`.
    static func timestamp(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        if let cached = lastTimestamp.withLock({ $0.seconds == seconds ? $0.text : nil }) { return cached }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let text = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
        lastTimestamp.withLock { $0 = (seconds, text) }
        return text
    }
}
