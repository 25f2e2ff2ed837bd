import CLibXML2

/// libxml2's one-time set-up. `xmlInitParser` "is not reentrant: call once before processing
/// in case of use in multithreaded programs", and libxml2 2.9 otherwise runs it lazily from
/// whichever thread parses first; a scan parses feeds, summaries and pages on several threads
/// at once. A Swift `static let` is initialised exactly once, thread-safely: every entry point
/// that hands libxml2 a document calls `initialize()` first.
public enum LibXML2 {
    private static let initialized: Void = xmlInitParser()

    public static func initialize() { _ = initialized }
}
