import SkiffAPI
import Testing

@testable import SkiffAPIServer

/// `spec.dnsPolicy` and `spec.dnsConfig` refused with upstream's words (`validatePodDNSConfig`), for pods and
/// pod templates alike.
@Suite struct PodDNSValidationTests {
    func problems(_ policy: String?, _ dnsConfig: JSONValue?, at path: String = "spec") -> [String] {
        var spec: JSONValue = ["containers": [["name": "c", "image": "busybox"]]]
        if let policy { spec["dnsPolicy"] = .string(policy) }
        if let dnsConfig { spec["dnsConfig"] = dnsConfig }
        return PodSpecValidation.validate(spec, at: path).map { "\($0.field): \($0.message)" }
    }

    @Test func noneNeedsADNSConfigWithANameserver() {
        #expect(problems("None", nil) == ["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"])
        #expect(problems("None", .null) == ["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"])
        #expect(problems("None", ["searches": ["a.example"]])
                == ["spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None"])
        #expect(problems("None", ["nameservers": ["1.1.1.1"]]) == [])
        #expect(problems("None", nil, at: "spec.template.spec")
                == ["spec.template.spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"])
        // Other policies need none, and may add one.
        #expect(problems("ClusterFirst", nil) == [] && problems(nil, nil) == [])
        #expect(problems("Default", ["nameservers": ["fd00::10"], "options": [["name": "ndots", "value": "2"]]]) == [])
    }

    @Test func nameserversAreAtMostThreeIPs() {
        #expect(problems(nil, ["nameservers": ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"]])
                == ["spec.dnsConfig.nameservers: Invalid value: []string{\"1.1.1.1\", \"2.2.2.2\", \"3.3.3.3\", \"4.4.4.4\"}: "
                    + "must not have more than 3 nameservers"])
        #expect(problems(nil, ["nameservers": ["1.1.1.1", "dns.example"]])
                == ["spec.dnsConfig.nameservers[1]: Invalid value: \"dns.example\": "
                    + "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"])
    }

    @Test func searchesAreFewShortSubdomains() {
        let many = (1...33).map { JSONValue.string("d\($0)") }
        let listed = (1...33).map { "\"d\($0)\"" }.joined(separator: ", ")
        #expect(problems(nil, ["searches": .array(many)])
                == ["spec.dnsConfig.searches: Invalid value: []string{\(listed)}: must not have more than 32 search paths"])
        let wide = (0..<9).map { _ in String(repeating: "a", count: 240) }
        let long = problems(nil, ["searches": .array(wide.map(JSONValue.string))])
        #expect(long.count == 1 && long[0].hasSuffix("must not have more than 2048 characters (including spaces) in the search list"))
        // A trailing dot is fine; upper case or an empty label is not.
        #expect(problems(nil, ["searches": ["corp.example."]]) == [])
        let bad = problems(nil, ["searches": ["Corp.example", "a..b"]])
        #expect(bad.count == 2 && bad[0].hasPrefix("spec.dnsConfig.searches[0]: Invalid value: \"Corp.example\": a lowercase RFC 1123 subdomain"))
        #expect(bad[1].hasPrefix("spec.dnsConfig.searches[1]: Invalid value: \"a..b\""))
    }

    @Test func optionsNeedNames() {
        #expect(problems(nil, ["options": [["name": "edns0"], ["value": "2"], ["name": ""]]])
                == ["spec.dnsConfig.options[1]: Required value: must not be empty",
                    "spec.dnsConfig.options[2]: Required value: must not be empty"])
    }
}
