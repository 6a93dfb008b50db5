import SkiffAPI
@testable import SkiffAPIServer
import Testing

/// The per-kind converters between a storage version and another served version, without a server.
@Suite struct VersionConversionTests {
    let hpa = HorizontalPodAutoscalerV1Converter()
    let events = EventsV1Converter()

    /// A v2 autoscaler with everything v1 cannot express.
    let fullV2: JSONValue = [
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": ["name": "web", "namespace": "default", "uid": "u1", "annotations": ["team": "a"]],
        "spec": [
            "scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"],
            "minReplicas": 2, "maxReplicas": 9,
            "metrics": [
                ["type": "Resource", "resource": ["name": "memory", "target": ["type": "AverageValue", "averageValue": "500Mi"]]],
                ["type": "Pods", "pods": ["metric": ["name": "qps"], "target": ["type": "AverageValue", "averageValue": "10"]]],
                ["type": "External", "external": ["metric": ["name": "queue", "selector": ["matchLabels": ["q": "jobs"]]],
                                                  "target": ["type": "Value", "value": "30"]]],
                ["type": "Object", "object": ["describedObject": ["apiVersion": "v1", "kind": "Service", "name": "front"],
                                              "metric": ["name": "rps"], "target": ["type": "Value", "value": "100"]]],
                ["type": "ContainerResource", "containerResource": ["name": "cpu", "container": "app",
                                                                    "target": ["type": "Utilization", "averageUtilization": 70]]],
                ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 60]]],
            ],
            "behavior": ["scaleDown": ["stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                                       "policies": [["type": "Percent", "value": 10, "periodSeconds": 60]]]],
        ],
        "status": [
            "observedGeneration": 3, "currentReplicas": 4, "desiredReplicas": 5,
            "currentMetrics": [["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": 42, "averageValue": "120m"]]]],
            "conditions": [["type": "AbleToScale", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z", "reason": "ReadyForNewScale"]],
        ],
    ]

    @Test func v2ShowsItsCPUTargetInV1AndTheRestInAnnotations() throws {
        let v1 = hpa.fromStorage(fullV2)
        #expect(v1["spec"]?["targetCPUUtilizationPercentage"] == 60)
        #expect(v1["spec"]?["metrics"] == nil)
        #expect(v1["spec"]?["behavior"] == nil)
        #expect(v1["status"]?["currentCPUUtilizationPercentage"] == 42)
        #expect(v1["status"]?["currentMetrics"] == nil)
        let annotations = try #require(v1["metadata"]?["annotations"])
        #expect(annotations["team"] == "a")
        let metrics = try JSONValue(parsing: Array((annotations[HorizontalPodAutoscalerV1Converter.metricsAnnotation]?.stringValue ?? "").utf8))
        #expect(metrics.arrayValue?.count == 5)
        #expect(metrics[0]?["resource"] == ["name": "memory", "targetAverageValue": "500Mi"])
        #expect(metrics[1]?["pods"] == ["metricName": "qps", "targetAverageValue": "10"])
        #expect(metrics[2]?["external"] == ["metricName": "queue", "metricSelector": ["matchLabels": ["q": "jobs"]], "targetValue": "30"])
        let behavior = try JSONValue(parsing: Array((annotations[HorizontalPodAutoscalerV1Converter.behaviorAnnotation]?.stringValue ?? "").utf8))
        #expect(behavior["ScaleDown"]?["StabilizationWindowSeconds"] == 300)
        #expect(behavior["ScaleDown"]?["Policies"]?[0]?["PeriodSeconds"] == 60)
        #expect(behavior["ScaleUp"] == .null)
        #expect(annotations[HorizontalPodAutoscalerV1Converter.currentMetricsAnnotation] != nil)
        #expect(annotations[HorizontalPodAutoscalerV1Converter.conditionsAnnotation] != nil)
    }

    @Test func v2RoundTripsThroughV1WithoutLoss() {
        let back = hpa.toStorage(hpa.fromStorage(fullV2))
        #expect(back["spec"] == fullV2["spec"])
        #expect(back["status"] == fullV2["status"])
        #expect(back["metadata"] == fullV2["metadata"])
    }

    @Test func v1RoundTripsThroughV2() {
        let v1: JSONValue = ["metadata": ["name": "a"],
                             "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "a"], "minReplicas": 1, "maxReplicas": 3,
                                      "targetCPUUtilizationPercentage": 55],
                             "status": ["currentReplicas": 1, "desiredReplicas": 2, "currentCPUUtilizationPercentage": 30]]
        let v2 = hpa.toStorage(v1)
        #expect(v2["spec"]?["metrics"] == [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 55]]]])
        let again = hpa.fromStorage(v2)
        #expect(again["spec"] == v1["spec"])
        #expect(again["status"] == v1["status"])
    }

    @Test func v1WithoutATargetGetsTheDefaultAndMinReplicas() {
        let v2 = hpa.toStorage(["metadata": ["name": "a"], "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "a"], "maxReplicas": 3]])
        #expect(v2["spec"]?["minReplicas"] == 1)
        #expect(v2["spec"]?["metrics"]?[0]?["resource"]?["target"]?["averageUtilization"] == 80)
    }

    @Test func annotationsAreDroppedAndMalformedOnesIgnored() {
        let v1: JSONValue = ["metadata": ["name": "a", "annotations": [HorizontalPodAutoscalerV1Converter.behaviorAnnotation: "not json",
                                                                       HorizontalPodAutoscalerV1Converter.metricsAnnotation: "{}"]],
                             "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "a"], "maxReplicas": 3, "targetCPUUtilizationPercentage": 50]]
        let v2 = hpa.toStorage(v1)
        #expect(v2["metadata"]?["annotations"] == nil)
        #expect(v2["spec"]?["behavior"] == nil)
        #expect(v2["spec"]?["metrics"]?.arrayValue?.count == 1)
    }

    @Test func behaviorAnnotationIsReadCaseInsensitively() {
        let decoded = HPABehaviorAnnotation.decode(["scaleup": ["selectpolicy": "Min", "Policies": nil], "ScaleDown": nil])
        #expect(decoded == ["scaleUp": ["selectPolicy": "Min"]])
        #expect(HPABehaviorAnnotation.decode(["ScaleUp": nil, "ScaleDown": nil]) == nil)
    }

    @Test func cpuTargetProblemsAreNamedByTheV1Field() {
        let stored = hpa.toStorage(["metadata": ["name": "a"], "spec": ["scaleTargetRef": ["kind": "D", "name": "a"], "maxReplicas": 3,
                                                                         "targetCPUUtilizationPercentage": 0]])
        let problems = AutoscalingValidation.validate(stored)
        #expect(problems.map(\.field) == ["spec.metrics[0].resource.target.averageUtilization"])
        #expect(hpa.servedPath(problems[0].field, in: stored) == "spec.targetCPUUtilizationPercentage")
        #expect(hpa.servedPath("spec.maxReplicas", in: stored) == "spec.maxReplicas")
    }

    @Test func eventsRenameBothWaysExactly() {
        let core: JSONValue = ["apiVersion": "v1", "kind": "Event", "metadata": ["name": "e", "namespace": "default"],
                               "involvedObject": ["kind": "Pod", "name": "p", "namespace": "default"], "reason": "Started",
                               "message": "hello", "source": ["component": "kubelet", "host": "n1"], "count": 3,
                               "firstTimestamp": "2024-01-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:01:00Z",
                               "reportingComponent": "kubelet", "reportingInstance": "n1", "type": "Normal"]
        let served = events.fromStorage(core)
        #expect(served["regarding"]?["name"] == "p")
        #expect(served["note"] == "hello")
        #expect(served["deprecatedSource"]?["host"] == "n1")
        #expect(served["deprecatedCount"] == 3)
        #expect(served["deprecatedFirstTimestamp"] == "2024-01-01T00:00:00Z")
        #expect(served["reportingController"] == "kubelet")
        #expect(served["involvedObject"] == nil && served["message"] == nil)
        #expect(events.toStorage(served).serialized() == core.serialized())
        #expect(events.servedPath("involvedObject.namespace", in: core) == "regarding.namespace")
        #expect(events.servedPath("messageX", in: core) == "messageX")
    }

    @Test func eventsV1RequiresWhatUpstreamRequires() {
        let fields = events.validateCreate(["metadata": ["name": "e", "namespace": "default"], "deprecatedCount": 2, "type": "Odd"])
            .map(\.field)
        #expect(fields.contains("eventTime"))
        #expect(fields.contains("reportingController"))
        #expect(fields.contains("action"))
        #expect(fields.contains("type"))
        #expect(fields.contains("deprecatedCount"))
        let good: JSONValue = ["metadata": ["name": "e", "namespace": "default"], "eventTime": "2024-01-01T00:00:00.000000Z",
                               "reportingController": "example.com/ctl", "reportingInstance": "i", "action": "Do", "reason": "Why",
                               "type": "Normal", "regarding": ["kind": "Pod", "name": "p", "namespace": "default"]]
        #expect(events.validateCreate(good).isEmpty)
    }
}
