import CLibXML2
import Locking

/// libxml2's one-time set-up. `xmlInitParser` "is not reentrant: call once before processing
/// in case of use in multithreaded programs", and libxml2 2.9 otherwise runs it lazily from
/// whichever thread parses first; a scan parses feeds, summaries and pages on several threads
/// at once. A Swift `static let` is initialised exactly once, thread-safely: every entry point
/// that hands libxml2 a document calls `initialize()` first.
public enum LibXML2 {
    private static let initialized: Void = xmlInitParser()

    public static func initialize() { _ = initialized }
}

extension LibXML2 {
    /// The character HTML 4 names `name` (`hellip` → U+2026), from libxml2's table.
    ///
    /// libxml2's `htmlEntityLookup` compares the name with each of its 253 entries in turn
    /// (some 4,000 instructions a reference): a name found is remembered, which keeps at most
    /// those 253 (a name it lacks is asked again, so a hostile document's made-up names take
    /// no memory).
    public static func htmlEntity(named name: String) -> UInt32? {
        if let value = foundEntities.withLock({ $0[name] }) { return value }
        guard let value = htmlEntityLookup(name).map({ UInt32($0.pointee.value) }) else { return nil }
        foundEntities.withLock { $0[name] = value }
        return value
    }

    private static let foundEntities = Locked<[String: UInt32]>([:])
}
