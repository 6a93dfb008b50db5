public import SkiffJSON

/// An embedded object of any kind (`WatchEvent.object`, `ControllerRevision.data`), kept as JSON.
public typealias RawExtension = JSONValue
