import Foundation
import SkiffAPI
import Testing

@testable import SkiffKubelet

/// Probe and hook specs read as the API defaults them.
@Suite struct ProbeSpecTests {
    @Test func defaultsAreUpstreams() throws {
        let probe = try #require(ProbeSpec(try core.v1.Probe(json: ["exec": ["command": ["cat", "/tmp/ready"]]])))
        #expect(probe.handler == .exec(["cat", "/tmp/ready"]))
        #expect(probe.initialDelay == .zero)
        #expect(probe.period == .seconds(10))
        #expect(probe.timeout == .seconds(1))
        #expect(probe.thresholds == PodMachine.ProbeThresholds(success: 1, failure: 3))
        #expect(probe.terminationGrace == nil)
        #expect(ProbeSpec(try core.v1.Probe(json: ["grpc": ["port": 9000]])) == nil, "grpc is not supported")
        #expect(ProbeSpec(nil) == nil)
    }

    @Test func httpGetAndTCPSocketHandlers() throws {
        let get = try #require(ProbeSpec(try core.v1.Probe(json: ["httpGet": ["path": "healthz", "port": "web", "scheme": "HTTPS",
                                                      "httpHeaders": [["name": "Host", "value": "example.com"]]],
                                          "periodSeconds": 2, "timeoutSeconds": 3, "failureThreshold": 1,
                                          "terminationGracePeriodSeconds": 4])))
        #expect(get.handler == .httpGet(.init(scheme: "https", host: nil, path: "/healthz", port: .name("web"),
                                              headers: [(name: "Host", value: "example.com")])))
        #expect(get.period == .seconds(2) && get.timeout == .seconds(3) && get.thresholds.failure == 1)
        #expect(get.terminationGrace == .seconds(4))
        #expect(ProbeSpec(try core.v1.Probe(json: ["tcpSocket": ["port": 8080]]))?.handler == .tcpSocket(host: nil, port: .number(8080)))
        #expect(ProbeSpec(try core.v1.Probe(json: ["tcpSocket": ["port": "8080"]]))?.handler == .tcpSocket(host: nil, port: .number(8080)))
        #expect(ProbeSpec(try core.v1.Probe(json: ["tcpSocket": ["port": "web"]]))?.handler == .tcpSocket(host: nil, port: .name("web")))
    }

    @Test func theMachineGetsThresholdsAndTheKillGrace() throws {
        let container = try core.v1.Container(json: [
            "name": "c",
            "readinessProbe": ["exec": ["command": ["true"]], "successThreshold": 2],
            "livenessProbe": ["exec": ["command": ["true"]], "terminationGracePeriodSeconds": 7],
        ])
        let probes = ProbeSpec.machineProbes(container: container, podGrace: .seconds(30))
        #expect(probes.readiness == PodMachine.ProbeThresholds(success: 2, failure: 3))
        #expect(probes.liveness == PodMachine.ProbeThresholds())
        #expect(probes.startup == nil)
        #expect(probes.killGrace == .seconds(7))
        #expect(ProbeSpec.machineProbes(container: core.v1.Container(name: "c"), podGrace: .seconds(30)) == PodMachine.ContainerProbes())
    }

    @Test func hooksHaveTheSameHandlersButNoSleep() throws {
        let hook = try core.v1.LifecycleHandler(json: ["httpGet": ["port": 80, "host": ""]])
        #expect(ProbeHandler(hook) == .httpGet(.init(scheme: "http", host: nil, path: "/", port: .number(80), headers: [])))
        #expect(ProbeHandler(try core.v1.LifecycleHandler(json: ["exec": [:]])) == .exec([]))
        #expect(ProbeHandler(try core.v1.LifecycleHandler(json: ["sleep": ["seconds": 1]])) == nil, "sleep is not supported")
    }
}
