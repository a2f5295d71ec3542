#!/usr/bin/python3
"""A test RTSP server: Debian's GStreamer RTSP server, streaming a live H.264 test pattern.

usage: rtsp-server.py PORT [PATH]   (listens on 127.0.0.1 only; prints "ready" when it listens)
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
port = sys.argv[1]
path = sys.argv[2] if len(sys.argv) > 2 else "/cam"

server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true pattern=smpte ! video/x-raw,width=320,height=240,framerate=30/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)
factory.set_shared(True)
server.get_mount_points().add_factory(path, factory)
if server.attach(None) == 0:
    print("cannot listen on port " + port, flush=True)
    sys.exit(1)
print("ready", flush=True)
GLib.MainLoop().run()
