#!/usr/bin/python3
"""A test RTSP server in RECORD mode: Debian's GStreamer RTSP server, taking an H.264 stream that a
client publishes (ANNOUNCE/RECORD) and writing it, as received, to an MPEG-TS file per session
(mpegtsmux: ffprobe reads the file without a clean end, so a publisher that vanishes leaves a
readable file; the muxer starts writing about a second into a session, so a session shorter
than that may leave an empty file). Each decoded frame's top-left luma byte is watched, so that a test can time
when a picture change it published arrives here (end-to-end delay).

usage: rtsp-record-server.py PORT PATH OUT_PREFIX
  listens on 127.0.0.1 only; prints, one line each, flushed:
    ready                                     when it listens
    cannot listen on port PORT                when it cannot
    session N OUT_PREFIX-N.ts                 when a publisher's session starts writing
    luma N T_MS VALUE                         when session N's top-left luma crosses 128 (either way), wall clock ms
"""
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
port, path, prefix = sys.argv[1], sys.argv[2], sys.argv[3]

server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_transport_mode(GstRtspServer.RTSPTransportMode.RECORD)
# one branch writes what arrives (no re-encoding); the other decodes it only to watch one pixel
factory.set_launch(
    "( rtph264depay name=depay0 ! h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au ! tee name=t "
    "t. ! queue ! mpegtsmux ! filesink name=out sync=false buffer-mode=unbuffered "
    "t. ! queue leaky=downstream max-size-buffers=5 ! avdec_h264 max-errors=-1 ! videoconvert ! video/x-raw,format=I420 ! fakesink name=probe sync=false )"
)
factory.set_latency(0)
factory.set_shared(False)

sessions = [0]


def on_configure(_factory, media):
    sessions[0] += 1
    n = sessions[0]
    pipeline = media.get_element()
    out = pipeline.get_by_name("out")
    location = "%s-%d.ts" % (prefix, n)
    out.set_property("location", location)
    print("session %d %s" % (n, location), flush=True)
    probe = pipeline.get_by_name("probe")
    last = [None]

    def on_buffer(_pad, info):
        buf = info.get_buffer()
        ok, mapped = buf.map(Gst.MapFlags.READ)
        if ok:
            bright = mapped.data[0] >= 128
            buf.unmap(mapped)
            if bright != last[0]:
                if last[0] is not None:
                    print("luma %d %d %d" % (n, int(time.time() * 1000), 255 if bright else 0), flush=True)
                last[0] = bright
        return Gst.PadProbeReturn.OK

    probe.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_buffer)


factory.connect("media-configure", on_configure)
server.get_mount_points().add_factory(path, factory)
if server.attach(None) == 0:
    print("cannot listen on port " + port, flush=True)
    sys.exit(1)
print("ready", flush=True)
GLib.MainLoop().run()
