/// A half-open range of keys compared as bytes, as etcd's `key`/`range_end` pairs are.
struct KeyRange: Sendable, Equatable {
    /// The first key in the range (inclusive).
    var lower: [UInt8]
    /// The first key past the range; `nil` for no upper bound.
    var upper: [UInt8]?

    /// Every key that starts with `prefix`, from the first one after `startAfter` when given.
    init(prefix: String, startAfter: String? = nil) {
        let prefixBytes = Array(prefix.utf8)
        upper = Self.end(ofPrefix: prefixBytes)
        lower = prefixBytes
        if let startAfter {
            // The smallest byte string greater than `startAfter` is `startAfter` followed by a zero byte.
            let after = Array(startAfter.utf8) + [0]
            if prefixBytes.lexicographicallyPrecedes(after) { lower = after }
        }
    }

    /// The range starting right after `key` within this range's upper bound.
    func after(_ key: String) -> KeyRange {
        var range = self
        range.lower = Array(key.utf8) + [0]
        return range
    }

    /// True when no key can be in the range.
    var isEmpty: Bool {
        guard let upper else { return false }
        return !lower.lexicographicallyPrecedes(upper)
    }

    /// The first byte string after every string that starts with `prefix`: `prefix` with its last byte
    /// below 0xFF incremented and the rest dropped; `nil` when there is none (empty or all 0xFF).
    static func end(ofPrefix prefix: [UInt8]) -> [UInt8]? {
        var end = prefix
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return nil
    }

    /// Whether `key` starts with `prefix`, comparing bytes (not Unicode characters, as `hasPrefix` does).
    static func key(_ key: String, hasPrefix prefix: String) -> Bool {
        key.utf8.starts(with: prefix.utf8)
    }
}
