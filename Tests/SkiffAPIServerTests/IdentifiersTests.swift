import Foundation
import Testing
@testable import SkiffAPIServer

@Suite struct IdentifiersTests {
    @Test func uidsAreVersionFourUUIDsInLowerCaseAndDistinct() throws {
        var seen = Set<String>()
        for _ in 0..<2_000 {
            let uid = Identifiers.uuid()
            let parsed = try #require(UUID(uuidString: uid))
            #expect(parsed.uuidString.lowercased() == uid)
            #expect(Array(uid)[14] == "4")
            #expect("89ab".contains(Array(uid)[19]))
            seen.insert(uid)
        }
        #expect(seen.count == 2_000)
    }

    @Test func nameSuffixesUseUpstreamsAlphabet() {
        var seen = Set<Character>()
        for _ in 0..<2_000 {
            let suffix = Identifiers.nameSuffix()
            #expect(suffix.count == 5)
            seen.formUnion(suffix)
        }
        #expect(seen == Set("bcdfghjklmnpqrstvwxz2456789"))
    }

    @Test func timestampsAreRFC3339SecondsInUTC() {
        #expect(Identifiers.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(Identifiers.timestamp(Date(timeIntervalSince1970: 1_795_595_405.9)) == "2026-11-25T08:30:05Z")
        // The per-second cache must not leak into the next second.
        #expect(Identifiers.timestamp(Date(timeIntervalSince1970: 1_795_595_406.1)) == "2026-11-25T08:30:06Z")
        #expect(Identifiers.timestamp(Date(timeIntervalSince1970: 1_795_595_405)) == "2026-11-25T08:30:05Z")
    }
}
