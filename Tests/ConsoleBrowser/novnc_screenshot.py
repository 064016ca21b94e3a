"""A real browser on the guest's consoles: starts nova-server with the QEMU driver and SPICE enabled, boots
the guest image, asks `openstack console url show --novnc` (then `--spice`) for the URL, opens it in
headless Chromium (Debian's chromium and chromium-driver through Selenium), waits for noVNC (then
spice-html5) to connect and draw, and saves a screenshot of the guest's screen. The check: the canvas is the
guest's size and not one flat colour (a blank frame).

Usage: NOVA_SERVER=.build/debug/nova-server python novnc_screenshot.py GUEST_IMAGE OUTPUT.png
(the SPICE screenshot goes beside OUTPUT.png, as OUTPUT-spice.png)
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

HERE = os.path.dirname(os.path.abspath(__file__))
OPENSTACK = os.path.join(os.path.dirname(sys.executable), "openstack")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(guest_image, output):
    data = tempfile.mkdtemp(prefix="nova-browser-")
    api, novnc, raw, spice = free_port(), free_port(), free_port(), free_port()
    config = os.path.join(data, "nova.conf")
    with open(config, "w") as f:
        f.write(f"[spice]\nenabled = true\nhtml5proxy_port = {spice}\n")
    server = subprocess.Popen(
        [os.environ["NOVA_SERVER"], "all", "--config", config, "--data-dir", data, "--listen", f"127.0.0.1:{api}",
         "--admin-password", "browser", "--compute-driver", "qemu", "--guest-image", guest_image,
         "--novncproxy-port", str(novnc), "--rawvncproxy-port", str(raw)],
        stdout=open(os.path.join(data, "server.log"), "w"), stderr=subprocess.STDOUT)
    env = dict(os.environ, OS_AUTH_URL=f"http://127.0.0.1:{api}/identity", OS_IDENTITY_API_VERSION="3",
               OS_USERNAME="admin", OS_PASSWORD="browser", OS_PROJECT_NAME="admin", OS_USER_DOMAIN_NAME="Default",
               OS_PROJECT_DOMAIN_NAME="Default", OS_COMPUTE_API_VERSION="2.79")

    def openstack(*args):
        return subprocess.run([OPENSTACK, *args], env=env, check=True, capture_output=True, text=True).stdout

    try:
        for _ in range(100):
            try:
                openstack("token", "issue")
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        # The API answers before the QEMU compute host has reported its node to Placement (it probes KVM and
        # looks for guests first); a boot before that would find no host.
        for _ in range(300):
            if openstack("resource", "provider", "list", "-f", "value", "-c", "uuid").strip():
                break
            time.sleep(0.2)
        openstack("server", "create", "--flavor", "m1.tiny", "--image", "nova-guest", "--nic", "none", "--wait",
                  "console-guest")
        for _ in range(300):
            if "NOVA-GUEST-BOOTED" in openstack("console", "log", "show", "console-guest"):
                break
            time.sleep(0.2)
        url = json.loads(openstack("console", "url", "show", "--novnc", "console-guest", "-f", "json"))["url"]
        print("noVNC URL:", url)
        spice_url = json.loads(openstack("console", "url", "show", "--spice", "console-guest", "-f", "json"))["url"]
        print("spice-html5 URL:", spice_url)
        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1024,768"):
            options.add_argument(flag)
        options.binary_location = "/usr/bin/chromium"
        browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            browser.get(url)
            status = ""
            for _ in range(100):
                status = browser.find_element(By.ID, "status").text
                if status.startswith("Connected"):
                    break
                time.sleep(0.2)
            assert status.startswith("Connected"), f"noVNC did not connect: {status!r}"
            # The canvas: wait until the guest's screen is drawn (not one colour).
            drawn = drawn_canvas(browser, "#screen canvas")
            browser.save_screenshot(output)
            print("screenshot:", output, "canvas:", drawn, "status:", status)
            assert drawn and drawn[2] > 1, f"the console stayed blank: {drawn}"
            spice_output = os.path.splitext(output)[0] + "-spice.png"
            spice_drawn = spice_screen(browser, spice_url)
            browser.save_screenshot(spice_output)
            print("screenshot:", spice_output, "canvas:", spice_drawn)
            assert spice_drawn and spice_drawn[2] > 1, f"the SPICE console stayed blank: {spice_drawn}"
        finally:
            browser.quit()
        openstack("server", "delete", "--wait", "console-guest")
        print("browser: 2 passed, 0 failed")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def spice_screen(browser, url):
    """spice-html5's page: it keeps the token in a cookie, connects to /websockify and draws the guest's
    primary surface on a canvas in #spice-screen."""
    browser.get(url)
    return drawn_canvas(browser, "#spice-screen canvas")


def drawn_canvas(browser, selector):
    """The canvas's size and how many colours a sample of it has, once it has more than one (the guest's
    screen drawn, not a blank frame), or the last look after 30 s."""
    check = """
        const c = document.querySelector(arguments[0]);
        if (!c || c.width < 100) return null;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const colours = new Set();
        for (let i = 0; i < d.length && colours.size < 3; i += 4 * 97) colours.add(d[i] << 16 | d[i+1] << 8 | d[i+2]);
        return [c.width, c.height, colours.size];
    """
    drawn = None
    for _ in range(150):
        drawn = browser.execute_script(check, selector)
        if drawn and drawn[2] > 1:
            break
        time.sleep(0.2)
    return drawn


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
