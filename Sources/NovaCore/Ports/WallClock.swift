import Foundation

/// The time source every service takes through its initialiser (tests pass a manual clock).
public protocol WallClock: Sendable {
    var now: Date { get }
}

public struct SystemClock: WallClock {
    public init() {}
    public var now: Date { Date() }
}
