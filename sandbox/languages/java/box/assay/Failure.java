// A test's failure as the report says it, INSIDE the sandbox: the outcome, a message with the
// exception's type and its words (an assertion's expected and actual), and the stack trace
// without JUnit's and the harness's frames as the detail.
package assay;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.platform.engine.TestExecutionResult;

final class Failure {
    static final int MAX_FRAMES = 12;
    static final String[] HIDDEN = {
        "org.junit.", "org.opentest4j.", "assay.", "jdk.internal.", "java.lang.reflect.",
        "sun.reflect.", "java.util.stream.", "java.util.ArrayList.forEach", "java.util.Spliterators",
    };

    final String outcome;
    final String message;
    final String detail;

    private Failure(String outcome, String message, String detail) {
        this.outcome = outcome;
        this.message = message;
        this.detail = detail;
    }

    static Failure of(TestExecutionResult result, String invocation) {
        Throwable error = result.getThrowable().orElse(null);
        String where = invocation == null ? "" : " [" + invocation + "]";
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            String why = error == null || error.getMessage() == null ? "" : error.getMessage();
            return new Failure("skipped", "aborted: " + why + where, "");
        }
        if (error == null) return new Failure("failed", "failed" + where, "");
        return new Failure("failed", headline(error) + where, trace(error));
    }

    static String headline(Throwable error) {
        String words = error.getMessage();
        String type = error.getClass().getSimpleName();
        if (type.isEmpty()) type = error.getClass().getName();
        return words == null || words.isEmpty() ? type : type + ": " + words;
    }

    /** The stack trace with the sample's frames, and the library's frames above them. */
    static String trace(Throwable error) {
        StringBuilder out = new StringBuilder();
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        String prefix = "";
        for (Throwable cause = error; cause != null && !seen.containsKey(cause); cause = cause.getCause()) {
            seen.put(cause, true);
            out.append(prefix).append(cause.getClass().getName());
            if (cause.getMessage() != null) out.append(": ").append(cause.getMessage());
            out.append('\n');
            int shown = 0;
            boolean sample = false;
            List<StackTraceElement> library = new ArrayList<>(); // shown if a sample's frame follows
            for (StackTraceElement frame : cause.getStackTrace()) {
                String name = frame.getClassName() + "." + frame.getMethodName();
                if (hidden(name)) {
                    if (sample) break; // below the sample's frames: JUnit's machinery
                    continue;
                }
                if (name.startsWith("java.")) {
                    library.add(frame);
                    continue;
                }
                sample = true;
                library.add(frame);
                for (StackTraceElement shownFrame : library) {
                    if (shown++ == MAX_FRAMES) break;
                    out.append("\tat ").append(shownFrame).append('\n');
                }
                library.clear();
                if (shown > MAX_FRAMES) {
                    out.append("\t...\n");
                    break;
                }
            }
            prefix = "Caused by: ";
        }
        return out.toString().strip();
    }

    private static boolean hidden(String name) {
        for (String prefix : HIDDEN) {
            if (name.startsWith(prefix)) return true;
        }
        return false;
    }
}
