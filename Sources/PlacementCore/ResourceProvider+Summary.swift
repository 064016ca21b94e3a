import NovaCore

/// A provider as GET /allocation_candidates summarises it in `provider_summaries`.
extension ResourceProvider {
    /// What a microversion's summary holds.
    public struct SummaryForm: Sendable, Equatable {
        /// The classes shown; nil for all of the provider's (1.27+).
        public var classes: Set<String>?
        /// `traits` (1.17+).
        public var traits: Bool
        /// `parent_provider_uuid` and `root_provider_uuid` (1.29+).
        public var tree: Bool

        public static let full = SummaryForm(classes: nil, traits: true, tree: true)

        public init(classes: Set<String>?, traits: Bool, tree: Bool) {
            self.classes = classes
            self.traits = traits
            self.tree = tree
        }
    }

    public func writeSummary(_ form: SummaryForm, into writer: inout JSONWriter) {
        if form == .full {
            writer.raw(fullSummary)
            return
        }
        writeSummaryFields(form, into: &writer)
    }

    /// The full summary's bytes, written once per change of the provider: a candidate answer lists every
    /// provider that fits, and most of them are the same from one call to the next.
    var fullSummary: [UInt8] {
        storage.summary.withLock { cached in
            if let cached { return cached }
            var writer = JSONWriter(capacity: 320)
            writeSummaryFields(.full, into: &writer)
            cached = writer.bytes
            return writer.bytes
        }
    }

    /// The order Placement's database gives: the standard traits are there before any custom one.
    static func inTraitOrder(_ left: String, _ right: String) -> Bool {
        let leftCustom = left.hasPrefix("CUSTOM_")
        let rightCustom = right.hasPrefix("CUSTOM_")
        return leftCustom == rightCustom ? left < right : rightCustom
    }

    func writeSummaryFields(_ form: SummaryForm, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("resources")
        writer.beginObject()
        for name in inventories.keys.sorted() where form.classes?.contains(name) ?? true {
            writer.key(name)
            writer.beginObject()
            writer.key("capacity")
            writer.int(inventories[name]?.capacity ?? 0)
            writer.key("used")
            writer.int(usages[name] ?? 0)
            writer.endObject()
        }
        writer.endObject()
        if form.traits {
            writer.key("traits")
            writer.stringArray(traits.sorted(by: Self.inTraitOrder))
        }
        if form.tree {
            writer.key("parent_provider_uuid")
            if let parentUUID { writer.string(parentUUID) } else { writer.null() }
            writer.key("root_provider_uuid")
            writer.string(rootUUID)
        }
        writer.endObject()
    }
}
