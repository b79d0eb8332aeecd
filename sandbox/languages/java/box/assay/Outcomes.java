// The report's messages for a run of tests, INSIDE the sandbox, whichever runner ran them
// (FastPath or JUnit Jupiter): collected, then begin and case for each test, each test's outcome
// sent once; `finish` gives every test still without one an outcome and says the run's status.
package assay;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

final class Outcomes {
    private final Channel channel;
    private final Set<String> begun = new HashSet<>();
    private final Set<String> done = new HashSet<>();
    private boolean allPassed = true;

    Outcomes(Channel channel) {
        this.channel = channel;
    }

    void collected(List<String> ids, List<String> errors) {
        channel.send("collected", "\"ids\": " + list(ids) + ", \"errors\": " + list(errors));
    }

    void begin(String id) {
        if (begun.add(id)) channel.send("begin", "\"id\": " + Channel.quote(id));
    }

    boolean has(String id) {
        return done.contains(id);
    }

    void result(String id, String outcome, String message, String detail) {
        if (done.contains(id)) return;
        begin(id);
        done.add(id);
        if (!outcome.equals("passed")) allPassed = false;
        channel.send("case", "\"id\": " + Channel.quote(id) + ", \"outcome\": \"" + outcome
                + "\", \"message\": " + Channel.quote(message) + ", \"detail\": " + Channel.quote(detail, 6000));
    }

    void result(String id, Failure failure) {
        result(id, failure.outcome, failure.message, failure.detail);
    }

    /** Something around the tests failed (an @AfterAll method, say): the run fails, though each
     * test's own outcome stands. Said on stderr, which the feedback shows. */
    void failedAround(String where, Failure failure) {
        allPassed = false;
        System.err.println(where + " failed: " + failure.message);
        if (!failure.detail.isEmpty()) System.err.println(failure.detail);
    }

    /** The run's status: 0 if every test passed, else 1; a test without an outcome did not run. */
    int finish(List<String> ids) {
        for (String id : ids) result(id, "error", "the test did not run", "");
        return end(allPassed ? 0 : 1);
    }

    /** The end of the report (2: the tests could not be collected). */
    int end(int status) {
        channel.send("end", "\"exitstatus\": " + status);
        return status;
    }

    private static String list(List<String> items) {
        StringBuilder out = new StringBuilder("[");
        for (String item : items) {
            if (out.length() > 1) out.append(", ");
            out.append(Channel.quote(item));
        }
        return out.append(']').toString();
    }
}
