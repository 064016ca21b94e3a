import NovaCore

/// One resource class's inventory on a provider (placement/objects/inventory.py).
public struct Inventory: Sendable, Equatable, Codable {
    public static let maxInteger = 2_147_483_647

    public var total: Int
    public var reserved: Int
    public var minUnit: Int
    public var maxUnit: Int
    public var stepSize: Int
    public var allocationRatio: Double

    public init(
        total: Int, reserved: Int = 0, minUnit: Int = 1, maxUnit: Int = Inventory.maxInteger, stepSize: Int = 1,
        allocationRatio: Double = 1.0
    ) {
        self.total = total
        self.reserved = reserved
        self.minUnit = minUnit
        self.maxUnit = maxUnit
        self.stepSize = stepSize
        self.allocationRatio = allocationRatio
    }

    /// What may be allocated in all: (total - reserved) * allocation_ratio, truncated as Placement does.
    public var capacity: Int { Int(saturating: Double(total - reserved) * allocationRatio) }

    /// Placement's bounds: total 1...max, reserved 0...total, 1 <= min_unit <= max_unit, step >= 1; something
    /// left to allocate (from 1.26 reserved may equal total, which leaves nothing until it is lowered).
    public func validate(_ resourceClass: String, provider: String, reservedCanBeTotal: Bool = true)
        throws(NovaError)
    {
        guard total >= 1, total <= Self.maxInteger, reserved >= 0, minUnit >= 1, maxUnit >= 1, stepSize >= 1,
            allocationRatio > 0
        else {
            throw .badRequest("Bad inventory \(resourceClass) for resource provider \(provider): values out of range.")
        }
        if reservedCanBeTotal ? capacity < 0 || reserved > total : capacity <= 0 || reserved >= total {
            throw .badRequest(
                "Invalid inventory for '\(resourceClass)' on resource provider '\(provider)'. The reserved value is "
                    + (reservedCanBeTotal ? "greater than total." : "greater than or equal to total."))
        }
        guard minUnit <= maxUnit else {
            throw .badRequest("Bad inventory \(resourceClass): min_unit (\(minUnit)) > max_unit (\(maxUnit)).")
        }
    }

    /// Whether `amount` fits this inventory's unit rules (min_unit, max_unit, step_size).
    public func allowsUnit(_ amount: Int) -> Bool {
        amount >= minUnit && amount <= maxUnit && amount % stepSize == 0
    }
}
