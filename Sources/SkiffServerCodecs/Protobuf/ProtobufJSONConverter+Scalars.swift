import SkiffAPI

extension ProtobufJSONConverter {
    /// One scalar as Go's JSON writes the Go field it decodes into.
    func scalarValue(_ scalar: ProtobufScalar, _ entry: Entry) throws(KubernetesProtobufError) -> JSONValue {
        let raw = entry.value
        switch scalar {
        case .int32, .sfixed32: return .int(Int64(Int32(truncatingIfNeeded: raw)))
        case .int64, .sfixed64: return .int(Int64(bitPattern: raw))
        case .uint32, .fixed32: return .int(Int64(UInt32(truncatingIfNeeded: raw)))
        case .uint64, .fixed64:
            return raw <= UInt64(Int64.max) ? .int(Int64(raw)) : .double(Double(raw))
        case .sint32:
            let value = UInt32(truncatingIfNeeded: raw)
            return .int(Int64(Int32(bitPattern: (value >> 1) ^ (0 &- (value & 1)))))
        case .sint64: return .int(Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))))
        case .bool: return .bool(raw != 0)
        case .double: return try finite(Double(bitPattern: raw))
        case .float: return try finite(Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))))
        case .string: return .string(string(entry.range))
        case .bytes: return .string(base64Encoded(bytes[entry.range]))
        }
    }

    /// Packed repeated scalars: one length-delimited run of values without tags.
    func appendPacked(
        _ scalar: ProtobufScalar, range: Range<Int>, to array: inout [JSONValue]
    ) throws(KubernetesProtobufError) {
        var reader = ProtobufWireReader(bytes, range: range)
        while !reader.isAtEnd {
            var entry = Entry(slot: 0, sequence: 0, wireType: scalar.wireType, value: 0, range: 0..<0)
            switch scalar.wireType {
            case .varint: entry.value = try reader.readVarint()
            case .fixed64: entry.value = try reader.readFixed64()
            case .fixed32: entry.value = try reader.readFixed32()
            default: return
            }
            array.append(try scalarValue(scalar, entry))
        }
    }

    /// Text as Go's JSON writes a Go string: invalid UTF-8 becomes U+FFFD.
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private func finite(_ number: Double) throws(KubernetesProtobufError) -> JSONValue {
        // Go's encoding/json refuses NaN and infinities ("json: unsupported value").
        guard number.isFinite else {
            throw KubernetesProtobufError(
                .invalidValue, "protobuf body holds a number JSON cannot represent: \(number)")
        }
        return .double(number)
    }
}

private let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

/// Standard base64 with padding, as Go's JSON writes a `[]byte`.
func base64Encoded(_ data: some Collection<UInt8>) -> String {
    let count = data.count
    return String(unsafeUninitializedCapacity: (count + 2) / 3 * 4) { output in
        var out = 0
        var iterator = data.makeIterator()
        var remaining = count
        while remaining > 0 {
            let b0 = iterator.next() ?? 0
            let b1 = remaining > 1 ? iterator.next() ?? 0 : 0
            let b2 = remaining > 2 ? iterator.next() ?? 0 : 0
            output[out] = base64Alphabet[Int(b0 >> 2)]
            output[out + 1] = base64Alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)]
            output[out + 2] = remaining > 1 ? base64Alphabet[Int((b1 & 0x0f) << 2 | b2 >> 6)] : UInt8(ascii: "=")
            output[out + 3] = remaining > 2 ? base64Alphabet[Int(b2 & 0x3f)] : UInt8(ascii: "=")
            out += 4
            remaining -= 3
        }
        return out
    }
}
