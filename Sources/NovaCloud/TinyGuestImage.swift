/// The default image of a new cloud: one 512-byte x86 boot sector that prints a line through the BIOS and
/// halts. It is a real bootable disk (raw), small enough to create on every first start.
enum TinyGuestImage {
    static let name = "tiny-boot-sector"
    static let message = "nova-swift tiny guest booted\r\n"

    static var bytes: [UInt8] {
        // cli; xor ax,ax; mov ds,ax; mov si,0x7c16; mov ah,0x0e
        // loop: lodsb; or al,al; jz done; int 0x10; jmp loop
        // done: hlt; jmp done
        var code: [UInt8] = [
            0xFA, 0x31, 0xC0, 0x8E, 0xD8, 0xBE, 0x16, 0x7C, 0xB4, 0x0E,
            0xAC, 0x08, 0xC0, 0x74, 0x04, 0xCD, 0x10, 0xEB, 0xF7,
            0xF4, 0xEB, 0xFD,
        ]
        code += Array(message.utf8) + [0]
        code += [UInt8](repeating: 0, count: 510 - code.count)
        code += [0x55, 0xAA]
        return code
    }
}
