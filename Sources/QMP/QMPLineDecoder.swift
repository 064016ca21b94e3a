import NIOCore

/// Splits the byte stream into lines (QMP ends each message with CR LF).
struct QMPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// QEMU's longest answers (query-qmp-schema) are a few MiB; anything longer is not QMP.
    static let maximumLine = 64 << 20

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maximumLine { throw QMPError.protocolViolation("line too long") }
            return .needMoreData
        }
        let length = end - buffer.readerIndex
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") {
            line = line.getSlice(at: line.readerIndex, length: length - 1)!
        }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
