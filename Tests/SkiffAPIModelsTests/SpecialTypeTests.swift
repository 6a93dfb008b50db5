import Foundation
import SkiffAPIModels
import SkiffJSON
import Testing

@Suite struct SpecialTypeTests {
    @Test func intOrStringReadsBothAndScalesPercentages() throws {
        #expect(try IntOrString(json: 8080) == .int(8080))
        #expect(try IntOrString(json: "http") == "http")
        #expect(IntOrString.int(3).json == 3)
        #expect(throws: ModelDecodingError.self) { try IntOrString(json: 1.5) }
        #expect(throws: ModelDecodingError.self) { try IntOrString(json: [1]) }
        #expect(IntOrString.string("25%").scaledValue(total: 10, roundUp: true) == 3)
        #expect(IntOrString.string("25%").scaledValue(total: 10, roundUp: false) == 2)
        #expect(IntOrString.int(2).scaledValue(total: 10, roundUp: true) == 2)
        #expect(IntOrString.string("two").scaledValue(total: 10, roundUp: true) == nil)
    }

    @Test func timeParsesRFC3339() throws {
        #expect(meta.v1.Time("2024-05-01T12:00:00Z").date == Date(timeIntervalSince1970: 1_714_564_800))
        #expect(meta.v1.Time("2024-05-01T14:00:00+02:00").date == Date(timeIntervalSince1970: 1_714_564_800))
        #expect(meta.v1.Time("1969-12-31T23:59:59Z").date == Date(timeIntervalSince1970: -1))
        #expect(meta.v1.Time("2024-02-29T00:00:00Z").date != nil)
        for bad in ["2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-05-01 12:00:00Z", "2024-05-01T12:00:00", ""] {
            #expect(meta.v1.Time(rfc3339: bad).date == nil, "\(bad)")
        }
        #expect(throws: ModelDecodingError.self) { try meta.v1.Time(json: "yesterday") }
    }

    @Test func timeWritesUTCAtItsPrecision() {
        let date = Date(timeIntervalSince1970: 1_714_564_800.654321)
        #expect(meta.v1.Time(date).rfc3339 == "2024-05-01T12:00:00Z")
        #expect(meta.v1.MicroTime(date).rfc3339 == "2024-05-01T12:00:00.654321Z")
        #expect(meta.v1.Time(Date(timeIntervalSince1970: -0.5)).rfc3339 == "1969-12-31T23:59:59Z")
    }

    @Test func theZeroTimeIsNull() throws {
        let event = try events.v1.Event(json: ["eventTime": nil, "metadata": ["name": "e"]])
        #expect(event.eventTime.isZero)
        #expect(event.json["eventTime"] == .null)
        #expect(try meta.v1.Time(json: .null).isZero)
    }
}
