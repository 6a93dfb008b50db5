import Foundation
import SkiffAPI
@testable import SkiffServerCodecs

/// The bytes of a base64 fixture (line breaks allowed).
func fixtureBytes(_ base64: String) -> [UInt8] {
    Array(Data(base64Encoded: base64, options: .ignoreUnknownCharacters) ?? Data())
}

/// Decodes a body and returns its compact JSON text, so tests check member order as well as values.
func decodedJSONText(_ bytes: [UInt8]) throws -> String {
    try KubernetesProtobuf.decode(bytes).jsonString
}

/// Go's JSON without the `null` members Go writes for unset times (`"creationTimestamp": null`), which the
/// decoder leaves out. Order is kept.
func removingNullMembers(_ value: JSONValue) -> JSONValue {
    switch value {
    case .object(let object):
        var result = JSONObject()
        for (key, member) in object where !member.isNull { result[key] = removingNullMembers(member) }
        return .object(result)
    case .array(let elements):
        return .array(elements.map(removingNullMembers))
    default:
        return value
    }
}

/// Writes protobuf wire format by hand, for bodies no encoder would produce (unknown fields, packed, merged,
/// truncated, wrong wire types).
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ number: Int, _ wireType: UInt8) { varint(UInt64(number) << 3 | UInt64(wireType)) }

    mutating func field(_ number: Int, varint value: UInt64) {
        tag(number, 0)
        varint(value)
    }

    mutating func field(_ number: Int, int value: Int64) { field(number, varint: UInt64(bitPattern: value)) }

    mutating func field(_ number: Int, bytes value: [UInt8]) {
        tag(number, 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func field(_ number: Int, string value: String) { field(number, bytes: Array(value.utf8)) }

    mutating func field(_ number: Int, fixed64 value: UInt64) {
        tag(number, 1)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func field(_ number: Int, message build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        field(number, bytes: inner.bytes)
    }

    static func message(_ build: (inout ProtoWriter) -> Void) -> [UInt8] {
        var writer = ProtoWriter()
        build(&writer)
        return writer.bytes
    }
}

/// A complete body: the magic and a `runtime.Unknown` envelope around `raw`.
func protobufBody(apiVersion: String, kind: String, raw: [UInt8]) -> [UInt8] {
    KubernetesProtobuf.magic + ProtoWriter.message { envelope in
        envelope.field(1) { typeMeta in
            if !apiVersion.isEmpty { typeMeta.field(1, string: apiVersion) }
            if !kind.isEmpty { typeMeta.field(2, string: kind) }
        }
        envelope.field(2, bytes: raw)
    }
}
