// assay's Java test harness, INSIDE the sandbox: a fresh JVM per run, started by the test step.
//
// It reads the run's token first (Channel), before any of the sample's classes is loaded; then it
// reads the compile's bundle and deletes it (the run's only file: the work dir is then empty in the
// strength check's run as in the sample's), defines the sample's classes from it (Bundle) and runs
// the tests of the tests' file's top-level classes, reporting on the channel: start, collected (one id per test method),
// begin and case for each, and end only after the last test has run; then it halts (no shutdown
// hook of the sample's runs after the report). Plain test classes (@Test and the lifecycle
// methods only) run on the fast path (FastPath: JUnit Jupiter's semantics without its engine);
// every other one, and every class with `--jupiter`, runs on JUnit Jupiter (JupiterRun).
//
// Test ids are `Class::method` (`Class::Nested.method` in a @Nested class; a parameterized,
// repeated or factory method is one test whose outcome is its invocations'). The sample's static
// initializers run when a test first touches its classes (or, under Jupiter, an annotation's value
// at discovery). An exit there, in a test, or in a shutdown hook ends the run without `end`, which
// the judge rejects; nothing the sample writes can stand for the report without the token.
package assay;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

public final class TestMain {
    static final String BUNDLE = "classes.assay";
    static final int MAX_TESTS = 1000;

    private TestMain() {}

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("--compile-failed")) {
            // The strength check's stub did not compile: this step stands for its compile.
            System.err.println("the strength check's stub did not compile");
            Runtime.getRuntime().halt(1);
        }
        Channel channel = Channel.open(); // first: before any of the sample's classes loads
        channel.send("start", "");
        Bundle bundle;
        try {
            // Read, then deleted before any of its classes loads: the work dir is then as empty in
            // the strength check's run (the stub's classes) as in the sample's, and the tests find
            // nothing there to tell them apart.
            Path file = Paths.get(BUNDLE);
            bundle = Bundle.read(file, TestMain.class.getClassLoader());
            Files.delete(file);
        } catch (Exception e) {
            System.err.println("assay harness: " + e);
            Runtime.getRuntime().halt(Channel.HARNESS_FAILED);
            return;
        }
        Thread.currentThread().setContextClassLoader(bundle);
        boolean jupiter = args.length > 0 && args[0].equals("--jupiter");
        int status;
        try {
            status = run(new Outcomes(channel), bundle, jupiter);
        } catch (Throwable e) { // an Error of the sample's out of the runner: no `end`
            status = 1;
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    private static int run(Outcomes outcomes, Bundle bundle, boolean jupiter) {
        List<Class<?>> classes = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        try {
            for (String name : bundle.testClasses) classes.add(Class.forName(name, false, bundle));
        } catch (Throwable e) {
            errors.add(Failure.headline(e));
        }
        List<FastPath.Plan> plans = jupiter || !errors.isEmpty() ? null : FastPath.plan(classes);
        if (plans != null) return FastPath.run(outcomes, plans);
        return JupiterRun.run(outcomes, classes, errors);
    }
}
