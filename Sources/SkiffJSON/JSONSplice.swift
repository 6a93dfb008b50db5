/// Edits compact JSON text without decoding it. The API server stores objects without
/// `metadata.resourceVersion` and serves them with it; splicing the member into the stored bytes costs a
/// scan instead of a parse and a serialization.
public enum JSONSplice {
    /// `json` with `"name":rawValue` added as the last member of the object under the top-level key
    /// `objectKey`, or `nil` when the text is not an object with such an object member, or that object
    /// already has a member `name` (callers then fall back to decoding).
    public static func appendingMember(_ name: String, rawValue: [UInt8], toObjectAt objectKey: String,
                                       in json: [UInt8]) -> [UInt8]? {
        json.withUnsafeBufferPointer { buffer -> [UInt8]? in
            var scanner = Scanner(bytes: buffer)
            guard let (close, empty) = scanner.findObjectEnd(topLevelKey: Array(objectKey.utf8), refusing: Array(name.utf8))
            else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(json.count + name.utf8.count + rawValue.count + 4)
            out.append(contentsOf: buffer[0..<close])
            if !empty { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
            out.append(contentsOf: rawValue)
            out.append(contentsOf: buffer[close...])
            return out
        }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        /// The index of the `}` closing the object at `topLevelKey`, and whether that object is empty.
        mutating func findObjectEnd(topLevelKey: [UInt8], refusing refused: [UInt8]) -> (Int, Bool)? {
            skipSpace()
            guard take(UInt8(ascii: "{")) else { return nil }
            while true {
                skipSpace()
                if take(UInt8(ascii: "}")) { return nil }
                guard let key = string() else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                if key.elementsEqual(topLevelKey) {
                    return objectEnd(refusing: refused)
                }
                guard skipValue() else { return nil }
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                return nil
            }
        }

        /// Scans the object starting here; fails if it has a member named `refused`.
        private mutating func objectEnd(refusing refused: [UInt8]) -> (Int, Bool)? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var empty = true
            while true {
                skipSpace()
                if peek == UInt8(ascii: "}") { return (index, empty) }
                if !empty {
                    guard take(UInt8(ascii: ",")) else { return nil }
                    skipSpace()
                }
                guard let key = string(), !key.elementsEqual(refused) else { return nil }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard skipValue() else { return nil }
                empty = false
            }
        }

        private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        private mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        private mutating func skipSpace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        /// The raw bytes between the quotes of a string (escapes left as they are).
        private mutating func string() -> Slice<UnsafeBufferPointer<UInt8>>? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    defer { index += 1 }
                    return bytes[start..<index]
                case UInt8(ascii: "\\"): index += 2
                default: index += 1
                }
            }
            return nil
        }

        private mutating func skipValue() -> Bool {
            guard let first = peek else { return false }
            switch first {
            case UInt8(ascii: "\""):
                return string() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while let byte = peek {
                    switch byte {
                    case UInt8(ascii: "\""):
                        guard string() != nil else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            index += 1
                            return true
                        }
                    default: break
                    }
                    index += 1
                }
                return false
            default:
                // A number or literal: up to the next delimiter.
                let start = index
                while let byte = peek, byte != UInt8(ascii: ","), byte != UInt8(ascii: "}"), byte != UInt8(ascii: "]"),
                      byte != 0x20, byte != 0x0A, byte != 0x0D, byte != 0x09 {
                    index += 1
                }
                return index > start
            }
        }
    }
}
