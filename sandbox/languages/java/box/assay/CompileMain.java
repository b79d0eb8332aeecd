// assay's Java compile, INSIDE the sandbox: one JVM compiles a batch of samples with javac's API,
// warm after the first, and never loads or runs any of the code it compiles (annotation
// processing is off: -proc:none; no plugin is named).
//
// Input: the jobs file (`assay-jobs 1`, then per job `job <index> <tests file>` and its files as
// `file <name> <bytes>` followed by their UTF-8 bytes). Output, on the authenticated channel, for
// each job in order: `compiling` {i}, then `compiled` {i, ok, diagnostics, bundle} where the
// bundle is the job's classes (Bundle's format); `end` when every job is done. Limits per job:
// a wall-clock budget (a watchdog reports `limit` {i, what: "time"} and halts), the heap (an
// OutOfMemoryError: `limit` {i, what: "memory"}, halt), the stack (deep nesting fails that job's
// compile), the classes' size; and the channel's: before a message would take the output past
// its cap, `full` and stop. The trusted side (compiler.py) sends again whatever was not compiled.
package assay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticListener;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

public final class CompileMain {
    static final int MAX_DIAGNOSTICS = 50;
    static final long MAX_CLASS_BYTES = 1 << 20; // a job's classes, together
    static final long MAX_OUTPUT = 6 << 20; // the channel carries at most 8 MB (streams.py)
    static final long STACK_BYTES = 64L << 20; // javac's recursion over deeply nested code
    static final Pattern LINT = Pattern.compile("warning: \\[([\\w-]+)\\]");

    private static volatile int running = -1;
    private static volatile long deadline = Long.MAX_VALUE;

    private CompileMain() {}

    /** args: the jobs file, the seconds each job may take, then javac's options. */
    public static void main(String[] args) throws Exception {
        Channel channel = Channel.open();
        channel.send("start", "");
        List<Job> jobs = Job.read(Files.readAllBytes(Paths.get(args[0])));
        long budgetNanos = (long) (Double.parseDouble(args[1]) * 1e9);
        List<String> options = List.of(args).subList(2, args.length);
        Thread watchdog = new Thread(() -> watch(channel), "assay-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StandardJavaFileManager files = javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
        long sent = 0;
        for (Job job : jobs) {
            channel.send("compiling", "\"i\": " + job.index);
            deadline = System.nanoTime() + budgetNanos;
            running = job.index;
            String[] message = new String[1];
            Thread worker = new Thread(null, () -> message[0] = compile(javac, files, options, job),
                    "assay-javac", STACK_BYTES);
            worker.start();
            worker.join();
            running = -1;
            if (message[0] == null) { // an OutOfMemoryError: the JVM is not fit for another job
                System.gc();
                channel.send("limit", "\"i\": " + job.index + ", \"what\": \"memory\"");
                Runtime.getRuntime().halt(3);
            }
            sent += message[0].length();
            if (sent > MAX_OUTPUT) {
                channel.send("full", "\"i\": " + job.index);
                Runtime.getRuntime().halt(0);
            }
            channel.send("compiled", message[0]);
        }
        channel.send("end", "");
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    private static void watch(Channel channel) {
        while (true) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            int job = running;
            if (job >= 0 && System.nanoTime() > deadline) {
                channel.send("limit", "\"i\": " + job + ", \"what\": \"time\"");
                Runtime.getRuntime().halt(3);
            }
        }
    }

    /** One job's `compiled` message's fields; null after an OutOfMemoryError. */
    private static String compile(JavaCompiler javac, StandardJavaFileManager standard, List<String> options, Job job) {
        try {
            return compiled(javac, standard, options, job);
        } catch (OutOfMemoryError e) {
            return null;
        }
    }

    private static String compiled(JavaCompiler javac, StandardJavaFileManager standard, List<String> options, Job job) {
        List<String> diagnostics = new ArrayList<>();
        boolean ok;
        Output output = new Output(standard);
        try {
            DiagnosticListener<JavaFileObject> listener = d -> {
                if (diagnostics.size() < MAX_DIAGNOSTICS) diagnostics.add(describe(d));
            };
            ok = javac.getTask(null, output, listener, options, null, job.sources()).call();
        } catch (StackOverflowError e) {
            ok = false;
            diagnostics.add(note("error", "stack", "the compiler's stack overflowed: the code is nested too deeply"));
        } catch (Throwable e) {
            ok = false;
            diagnostics.add(note("error", "compiler", "the compiler failed: " + e));
        }
        StringBuilder bundle = new StringBuilder();
        if (ok) {
            long size = 0;
            bundle.append(Bundle.HEADER).append('\n');
            Base64.Encoder encoder = Base64.getEncoder();
            for (Map.Entry<String, Output.Compiled> entry : output.classes.entrySet()) {
                byte[] bytes = entry.getValue().bytes.toByteArray();
                size += bytes.length;
                bundle.append(job.tests.equals(entry.getValue().source) ? "test " : "class ")
                        .append(entry.getKey()).append(' ').append(encoder.encodeToString(bytes)).append('\n');
            }
            if (size > MAX_CLASS_BYTES) {
                ok = false;
                bundle.setLength(0);
                diagnostics.add(note("error", "size", "the compiled classes take more than " + (MAX_CLASS_BYTES >> 20) + " MB"));
            }
        }
        return "\"i\": " + job.index + ", \"ok\": " + ok + ", \"diagnostics\": [" + String.join(", ", diagnostics)
                + "], \"bundle\": " + Channel.quote(bundle.toString(), Integer.MAX_VALUE);
    }

    private static String describe(Diagnostic<? extends JavaFileObject> d) {
        String kind = d.getKind() == Diagnostic.Kind.ERROR ? "error"
                : d.getKind() == Diagnostic.Kind.NOTE || d.getKind() == Diagnostic.Kind.OTHER ? "note" : "warning";
        String code = d.getCode() == null ? kind : d.getCode().replaceFirst("^compiler\\.(err|warn|note|misc)\\.", "");
        if (kind.equals("warning")) {
            Matcher lint = LINT.matcher(d.toString());
            if (lint.find()) code = lint.group(1);
        }
        String file = d.getSource() == null ? "" : d.getSource().toUri().getPath().replaceFirst("^/", "");
        String words = d.getMessage(Locale.ROOT);
        return "{\"kind\": \"" + kind + "\", \"file\": " + Channel.quote(file, 200)
                + ", \"line\": " + Math.max(0, d.getLineNumber()) + ", \"column\": " + Math.max(0, d.getColumnNumber())
                + ", \"code\": " + Channel.quote(code, 100) + ", \"message\": " + Channel.quote(words == null ? "" : words, 1000) + "}";
    }

    private static String note(String kind, String code, String words) {
        return "{\"kind\": \"" + kind + "\", \"file\": \"\", \"line\": 0, \"column\": 0, \"code\": \"" + code
                + "\", \"message\": " + Channel.quote(words) + "}";
    }

    /** A job: its index, its tests' file name, its sources. */
    static final class Job {
        final int index;
        final String tests;
        final Map<String, String> files = new LinkedHashMap<>();

        Job(int index, String tests) {
            this.index = index;
            this.tests = tests;
        }

        List<JavaFileObject> sources() {
            List<JavaFileObject> out = new ArrayList<>();
            for (Map.Entry<String, String> file : files.entrySet()) {
                String text = file.getValue();
                out.add(new SimpleJavaFileObject(URI.create("string:///" + file.getKey()), JavaFileObject.Kind.SOURCE) {
                    @Override
                    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                        return text;
                    }
                });
            }
            return out;
        }

        static List<Job> read(byte[] data) throws IOException {
            List<Job> jobs = new ArrayList<>();
            int at = 0;
            Job job = null;
            while (at < data.length) {
                int end = at;
                while (end < data.length && data[end] != '\n') end++;
                String[] head = new String(data, at, end - at, StandardCharsets.UTF_8).split(" ");
                at = end + 1;
                if (head[0].equals("assay-jobs")) continue;
                if (head[0].equals("job") && head.length == 3) {
                    job = new Job(Integer.parseInt(head[1]), head[2]);
                    jobs.add(job);
                } else if (head[0].equals("file") && head.length == 3 && job != null) {
                    int size = Integer.parseInt(head[2]);
                    job.files.put(head[1], new String(data, at, size, StandardCharsets.UTF_8));
                    at += size + 1;
                } else {
                    throw new IOException("malformed jobs file near byte " + at);
                }
            }
            return jobs;
        }
    }

    /** Class files into memory, each with the name of the source it came from. */
    static final class Output extends ForwardingJavaFileManager<JavaFileManager> {
        static final class Compiled {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final String source;

            Compiled(String source) {
                this.source = source;
            }
        }

        final Map<String, Compiled> classes = new LinkedHashMap<>();

        Output(JavaFileManager standard) {
            super(standard);
        }

        @Override
        public JavaFileObject getJavaFileForOutput(Location location, String name, JavaFileObject.Kind kind, FileObject sibling) {
            String source = sibling == null ? "" : sibling.toUri().getPath().replaceFirst("^/", "");
            Compiled compiled = new Compiled(source);
            classes.put(name, compiled);
            return new SimpleJavaFileObject(URI.create("mem:///" + name.replace('.', '/') + ".class"), kind) {
                @Override
                public OutputStream openOutputStream() {
                    return compiled.bytes;
                }
            };
        }

        @Override
        public void close() {
            // The standard file manager, with its open jars, serves every job.
        }
    }
}
