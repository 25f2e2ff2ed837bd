import CLibXML2
import Foundation

/// One attribute of a start tag, with its namespace resolved.
public struct XMLAttribute: Sendable, Equatable {
    public var localName: String
    public var prefix: String?
    public var namespaceURI: String?
    public var value: String

    public init(localName: String, prefix: String?, namespaceURI: String?, value: String) {
        self.localName = localName
        self.prefix = prefix
        self.namespaceURI = namespaceURI
        self.value = value
    }
}

/// Receives the events of `XMLStreamParser`, in document order, on the parsing thread.
///
/// Events hand over libxml2's own memory, valid only during the call: a handler keeps what it
/// needs as its own values, and nothing is turned into a `String` that no handler asked for.
public protocol XMLEventHandler: AnyObject {
    func startElement(_ tag: XMLStartTag)
    func endElement()
    func characters(_ text: UnsafeBufferPointer<UInt8>)
}

/// A start tag as libxml2 reports it (SAX2, namespaces resolved). Its pointers are libxml2's
/// and live only as long as the `startElement` call; names and namespace URIs are NUL-terminated
/// UTF-8, and within one parse libxml2 hands over the same pointer for the same name (its
/// dictionary), which handlers may use to look a name up once.
public struct XMLStartTag {
    public let localName: UnsafePointer<UInt8>
    public let prefix: UnsafePointer<UInt8>?
    public let namespaceURI: UnsafePointer<UInt8>?
    /// libxml2: "pointer to the array of (localname/prefix/URI/value/end) attribute values".
    private let attributeFields: UnsafeMutablePointer<UnsafePointer<UInt8>?>?
    public let attributeCount: Int

    init(localName: UnsafePointer<UInt8>, prefix: UnsafePointer<UInt8>?, namespaceURI: UnsafePointer<UInt8>?,
         attributes: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, count: Int) {
        self.localName = localName
        self.prefix = prefix
        self.namespaceURI = namespaceURI
        attributeFields = attributes
        attributeCount = attributes == nil ? 0 : count
    }

    /// One attribute, by position: its names as libxml2's pointers, its value as bytes.
    public struct RawAttribute {
        public let localName: UnsafePointer<UInt8>
        public let prefix: UnsafePointer<UInt8>?
        public let namespaceURI: UnsafePointer<UInt8>?
        /// Raw: an `&` that came from a character reference reads `&#38;` (see `value`).
        public let value: UnsafeBufferPointer<UInt8>
    }

    /// The attribute at `index`, or nil where libxml2 left a field empty.
    public func attribute(at index: Int) -> RawAttribute? {
        guard let fields = attributeFields, index < attributeCount else { return nil }
        let base = index * 5
        guard let name = fields[base], let start = fields[base + 3], let end = fields[base + 4] else { return nil }
        return RawAttribute(localName: name, prefix: fields[base + 1], namespaceURI: fields[base + 2],
                            value: UnsafeBufferPointer(start: start, count: end - start))
    }

    public var localNameString: String { String(cString: localName) }

    /// Every attribute as strings, for handlers that read few tags.
    public var attributes: [XMLAttribute] {
        (0..<attributeCount).compactMap { index in
            attribute(at: index).map { raw in
                XMLAttribute(localName: String(cString: raw.localName), prefix: raw.prefix.map { String(cString: $0) },
                             namespaceURI: raw.namespaceURI.map { String(cString: $0) }, value: Self.value(raw.value))
            }
        }
    }

    /// An attribute value as text. Without entity substitution libxml2 hands over an `&` that
    /// came from a character reference as "&#38;" (so a tree could tell it from an entity);
    /// `XMLRepair` has resolved every entity already, so this is a plain "&".
    public static func value(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let value = String(decoding: bytes, as: UTF8.self)
        return bytes.contains(UInt8(ascii: "&")) ? value.replacingOccurrences(of: "&#38;", with: "&") : value
    }
}

/// A problem libxml2 reported while parsing.
public struct XMLDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A streaming (SAX2, push) parser over UTF-8 input: memory stays bounded however large the
/// document, because nothing but the handler's own state is kept.
///
/// Safe by construction: no DTD is loaded, no network is used, entity substitution is off,
/// and libxml2's built-in depth and size limits stay on. Input is expected to have passed
/// through `XMLRepair` first, which leaves no entity for libxml2 to resolve. In recovery
/// mode libxml2 keeps going after well-formedness errors, so a broken feed still yields
/// what it holds; `isWellFormed` tells whether it had to.
public final class XMLStreamParser {
    private let context: xmlParserCtxtPtr
    private let handler: any XMLEventHandler
    private var handlerBox: Unmanaged<HandlerBox>
    private var sax: UnsafeMutablePointer<xmlSAXHandler>

    // Exclusivity is checked statically only (`@exclusivity(unchecked)`) for the state the
    // callbacks touch at every event: the checks were a tenth of parsing. Safe because a parser
    // is used on one thread at a time (it is not Sendable) and libxml2 calls back only from
    // `parse`, one callback at a time and never from inside another, so no two accesses to
    // these properties can overlap.
    @exclusivity(unchecked) public private(set) var diagnostics: [XMLDiagnostic] = []
    /// How far into the input (bytes) libxml2 was at its last event: once it stops reading,
    /// nothing after this point reached the handler.
    @exclusivity(unchecked) public private(set) var lastEventOffset = 0
    /// The first problem libxml2 reported after its last event: why it stopped, if it did.
    @exclusivity(unchecked) public private(set) var problemAfterLastEvent: XMLDiagnostic?
    /// libxml2 stops counting after this many diagnostics; a hostile feed can produce millions.
    public static let maxDiagnostics = 20

    public init(handler: any XMLEventHandler) {
        LibXML2.initialize()
        self.handler = handler
        sax = UnsafeMutablePointer<xmlSAXHandler>.allocate(capacity: 1)
        sax.initialize(to: xmlSAXHandler())
        XMLStreamParser.install(into: sax)
        let box = HandlerBox(handler: handler)
        handlerBox = Unmanaged.passRetained(box)
        context = xmlCreatePushParserCtxt(sax, handlerBox.toOpaque(), nil, 0, nil)
        box.parser = Unmanaged.passUnretained(self)
        let options = Int32(XML_PARSE_RECOVER.rawValue | XML_PARSE_NONET.rawValue
            | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
            | XML_PARSE_IGNORE_ENC.rawValue | XML_PARSE_NOCDATA.rawValue)
        xmlCtxtUseOptions(context, options)
        xmlSwitchEncoding(context, XML_CHAR_ENCODING_UTF8)
    }

    deinit {
        // "For expat compatibility in SAX mode", libxml2 builds a document of its own to hold
        // an entity declaration (even one this parser ignores) and leaves freeing it to the
        // caller, as xmllint does. Found by fuzzing: a DOCTYPE hidden behind `<?` reached it.
        if let document = context.pointee.myDoc {
            xmlFreeDoc(document)
            context.pointee.myDoc = nil
        }
        xmlFreeParserCtxt(context)
        handlerBox.release()
        sax.deinitialize(count: 1)
        sax.deallocate()
    }

    /// Parses the next piece of the document. `isLast` must be set on the final call.
    public func parse(_ bytes: UnsafeRawBufferPointer, isLast: Bool) {
        let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        _ = xmlParseChunk(context, base, Int32(bytes.count), isLast ? 1 : 0)
    }

    /// True when libxml2 gave up on the document (`xmlHaltParser`: content after the root
    /// element, an invalid element name): it ignores whatever is pushed after that.
    public var hasStopped: Bool {
        // In recovery mode a fatal error leaves `disableSAX` alone; only a halt sets it.
        context.pointee.disableSAX != 0
    }

    /// False when libxml2 found the document not well-formed (it recovered what it could).
    public var isWellFormed: Bool { context.pointee.wellFormed != 0 && context.pointee.nsWellFormed != 0 }

    fileprivate func record(_ error: UnsafePointer<xmlError>) {
        let isAfterEvent = problemAfterLastEvent == nil
        guard isAfterEvent || diagnostics.count < XMLStreamParser.maxDiagnostics else { return }
        let message = error.pointee.message.map { String(cString: $0) }?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "error \(error.pointee.code)"
        let diagnostic = XMLDiagnostic(line: Int(error.pointee.line), column: Int(error.pointee.int2), message: message)
        if isAfterEvent { problemAfterLastEvent = diagnostic }
        if diagnostics.count < XMLStreamParser.maxDiagnostics { diagnostics.append(diagnostic) }
    }

    /// Called before each event reaches the handler.
    fileprivate func noteEvent() {
        // What `xmlByteConsumed` computes for input read without an encoder, read in place (the
        // call was 1.5% of parsing). This parser's input never has one: it is told the input is
        // UTF-8 and to ignore encoding declarations (`init`), so libxml2 converts nothing; the
        // assertion below checks it in every debug run of the tests.
        if let input = context.pointee.input, let cur = input.pointee.cur, let base = input.pointee.base {
            lastEventOffset = Int(input.pointee.consumed) + (cur - base)
        } else {
            lastEventOffset = Int(xmlByteConsumed(context))
        }
        assert(lastEventOffset == Int(xmlByteConsumed(context)), "xmlByteConsumed computed in place differs")
        // Tested first: assigning nil releases the old value's string even when there was none.
        if problemAfterLastEvent != nil { problemAfterLastEvent = nil }
    }

    // MARK: - SAX callbacks

    private static func install(into sax: UnsafeMutablePointer<xmlSAXHandler>) {
        sax.pointee.initialized = UInt32(XML_SAX2_MAGIC)
        sax.pointee.startElementNs = { context, localName, prefix, uri, _, _, attributeCount, _, attributes in
            guard let context, let localName else { return }
            Unmanaged<HandlerBox>.fromOpaque(context)._withUnsafeGuaranteedRef { box in
                box.parser?._withUnsafeGuaranteedRef { $0.noteEvent() }
                box.handler.startElement(XMLStartTag(
                    localName: localName, prefix: prefix, namespaceURI: uri, attributes: attributes, count: Int(attributeCount)))
            }
        }
        sax.pointee.endElementNs = { context, _, _, _ in
            guard let context else { return }
            Unmanaged<HandlerBox>.fromOpaque(context)._withUnsafeGuaranteedRef { box in
                box.parser?._withUnsafeGuaranteedRef { $0.noteEvent() }
                box.handler.endElement()
            }
        }
        sax.pointee.characters = { context, text, length in
            guard let context, let text, length > 0 else { return }
            Unmanaged<HandlerBox>.fromOpaque(context)._withUnsafeGuaranteedRef { box in
                box.parser?._withUnsafeGuaranteedRef { $0.noteEvent() }
                box.handler.characters(UnsafeBufferPointer(start: text, count: Int(length)))
            }
        }
        sax.pointee.cdataBlock = sax.pointee.characters
        // White space is text like any other (no DTD says otherwise); being the same callback,
        // libxml2 also skips asking whether each run of it could be ignored.
        sax.pointee.ignorableWhitespace = sax.pointee.characters
        // Entities are never declared: a document's own DTD cannot define text (billion laughs)
        // or pull in files (XXE). XMLRepair already turned every reference into a character.
        sax.pointee.getEntity = { _, _ in nil }
        sax.pointee.getParameterEntity = { _, _ in nil }
        sax.pointee.entityDecl = { _, _, _, _, _, _ in }
        sax.pointee.serror = { context, error in
            guard let context, let error else { return }
            let box = Unmanaged<HandlerBox>.fromOpaque(context).takeUnretainedValue()
            box.parser?._withUnsafeGuaranteedRef { $0.record(error) }
        }
    }
}

/// What libxml2's `userData` points at: the handler, and the parser for diagnostics.
private final class HandlerBox {
    let handler: any XMLEventHandler
    /// Not `weak`: a weak load per SAX event was 2% of parsing; and not a strong or unowned
    /// reference either, whose every use is a retain and a release (370,000 pairs on 200 feeds).
    /// Safe because the parser owns this box (it releases it in `deinit`), and libxml2 calls
    /// back only from inside `parse(_:isLast:)`, a method of that live parser.
    var parser: Unmanaged<XMLStreamParser>?
    init(handler: any XMLEventHandler) { self.handler = handler }
}
