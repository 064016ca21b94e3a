"""What a VNC client does first through the console proxies, from a console URL the API gave: the raw proxy takes
the token line, noVNC's takes a WebSocket (over TLS for an https URL); both then relay the guest's RFB greeting.
"""
import base64
import os
import socket
import ssl
import urllib.parse


def token_of(url):
    """The token of a console URL: `?token=` (raw proxy) or inside noVNC's `?path=%3Ftoken%3D...`."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    if "token" in query:
        return query["token"][0]
    inner = urllib.parse.urlsplit(query.get("path", [""])[0]).query
    return urllib.parse.parse_qs(inner).get("token", [""])[0]


def read_exactly(connection, count):
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            break
        data += chunk
    return data


def raw_greeting(url):
    """The raw VNC proxy: the token line, then the first 12 bytes the guest's VNC server sends."""
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
            connection.sendall(token_of(url).encode() + b"\n")
            return read_exactly(connection, 12).decode(errors="replace")
    except OSError as error:
        return f"{url}: {error}"


def websocket_open(url, cafile=None):
    """A WebSocket to the noVNC proxy of `url` (TLS for https, trusting cafile), sent without an Origin as a
    program's would be. Returns the connection and the status line of the answer."""
    parts = urllib.parse.urlsplit(url)
    connection = socket.create_connection((parts.hostname, parts.port), timeout=10)
    if parts.scheme == "https":
        connection = ssl.create_default_context(cafile=cafile).wrap_socket(connection, server_hostname=parts.hostname)
    key = base64.b64encode(os.urandom(16)).decode()
    connection.sendall((f"GET /?token={urllib.parse.quote(token_of(url))} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(1)
        if not chunk:
            break
        head += chunk
    return connection, head.split(b"\r\n")[0].decode(errors="replace")


def novnc_greeting(url, cafile=None):
    """Through the noVNC proxy: the upgrade, then the guest's 12-byte RFB greeting from binary frames."""
    try:
        connection, status = websocket_open(url, cafile)
        with connection:
            if " 101 " not in status + " ":
                return status
            payload = b""
            while len(payload) < 12:
                head = read_exactly(connection, 2)
                if len(head) < 2:
                    break
                length = head[1] & 0x7F
                if length == 126:
                    length = int.from_bytes(read_exactly(connection, 2), "big")
                payload += read_exactly(connection, length)
            return payload.decode(errors="replace")
    except OSError as error:
        return f"{url}: {error}"
