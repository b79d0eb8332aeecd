// assay's report channel, INSIDE the sandbox: the run's token from descriptor 4, then
// authenticated lines `<token> <json>` on descriptor 3 (sandbox/isolation/channel.py).
//
// The token is read (and descriptor 4 closed) before any of the sample's classes is loaded. Java
// has no API for an inherited descriptor by number, and the pipes are not the sample's user's to
// open anew through /proc/self/fd: a FileDescriptor is given the number through sun.misc.Unsafe
// (jdk.unsupported, open to every class). A line is one write, so the sample's own writes to
// descriptor 3 (worthless without the token) cannot split it.
package assay;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

final class Channel {
    static final int RESULT_FD = 3, TOKEN_FD = 4;
    static final int TOKEN_CHARS = 32;
    static final int HARNESS_FAILED = 70; // the harness failed before the tests: the sandbox's fault

    private final byte[] token;
    private final FileOutputStream out;
    private long seq;

    private Channel(byte[] token, FileOutputStream out) {
        this.token = token;
        this.out = out;
    }

    /** The run's channel, or the harness's exit with status 70 when the sandbox gave none. */
    static Channel open() {
        try {
            byte[] token = new byte[TOKEN_CHARS];
            try (InputStream in = new FileInputStream(descriptor(TOKEN_FD))) {
                int got = 0;
                while (got < TOKEN_CHARS) {
                    int n = in.read(token, got, TOKEN_CHARS - got);
                    if (n < 0) throw new IOException("no run token on descriptor 4");
                    got += n;
                }
            }
            return new Channel(token, new FileOutputStream(descriptor(RESULT_FD)));
        } catch (IOException | ReflectiveOperationException | RuntimeException e) {
            System.err.println("assay harness: " + e);
            Runtime.getRuntime().halt(HARNESS_FAILED);
            throw new AssertionError(e);
        }
    }

    /** A FileDescriptor of an inherited descriptor's number, which must be a pipe (not, say, a
     * file the JVM itself opened where the descriptor was missing). */
    static FileDescriptor descriptor(int fd) throws IOException, ReflectiveOperationException {
        String what = Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString();
        if (!what.startsWith("pipe:")) throw new IOException("descriptor " + fd + " is not a pipe");
        Field field = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        sun.misc.Unsafe unsafe = (sun.misc.Unsafe) field.get(null);
        FileDescriptor out = new FileDescriptor();
        unsafe.putInt(out, unsafe.objectFieldOffset(FileDescriptor.class.getDeclaredField("fd")), fd);
        return out;
    }

    /** One message: `fields` are the JSON object's members after "seq" and "t" (or empty). */
    synchronized void send(String type, String fields) {
        StringBuilder line = new StringBuilder(64 + fields.length());
        line.append(new String(token, StandardCharsets.US_ASCII));
        line.append(" {\"seq\": ").append(seq++).append(", \"t\": \"").append(type).append('"');
        if (!fields.isEmpty()) line.append(", ").append(fields);
        line.append("}\n");
        try {
            out.write(line.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // The channel is gone (the sample closed it?): the report stays incomplete, which the
            // judge rejects; nothing here may pretend otherwise.
        }
    }

    /** A JSON string of `text`, clipped to `limit` characters. */
    static String quote(String text, int limit) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), limit) + 8).append('"');
        int n = Math.min(text.length(), limit);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !pairedAt(text, i, n)) {
                        out.append(String.format("\\u%04x", c < 0x20 || c == 0x7f ? (int) c : 0xfffd));
                    } else {
                        out.append(c);
                    }
            }
        }
        if (text.length() > limit) out.append("...");
        return out.append('"').toString();
    }

    private static boolean pairedAt(String text, int i, int n) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
    }

    static String quote(String text) {
        return quote(text, 2000);
    }
}
