// assay's Java test harness, INSIDE the sandbox: a fresh JVM per run, started by the test step.
//
// It reads the run's token first (Channel), before any of the sample's classes is loaded; then it
// defines the sample's classes from the compile's bundle (Bundle), discovers the tests of the
// tests' file's top-level classes with JUnit Jupiter, and runs them, reporting on the channel:
// start, collected (one id per test method), begin and case for each, and end only after the
// last test has run; then it halts (no shutdown hook of the sample's runs after the report).
//
// Test ids are `Class::method` (`Class::Nested.method` in a @Nested class; a parameterized,
// repeated or factory method is one test whose outcome is its invocations'). The sample's static
// initializers run when JUnit first touches its classes: before `collected` (annotation values),
// or in a test. An exit there, in a test, or in a shutdown hook ends the run without `end`, which
// the judge rejects; nothing the sample writes can stand for the report without the token.
package assay;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.HashSet;
import java.util.HashMap;

import org.junit.jupiter.engine.JupiterTestEngine;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

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
        int status;
        try {
            status = run(channel);
        } catch (Throwable e) { // the sample's own Error from discovery, or the harness's fault
            status = 1;
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    private static int run(Channel channel) throws Exception {
        Bundle bundle;
        try {
            bundle = Bundle.read(Paths.get(BUNDLE), TestMain.class.getClassLoader());
        } catch (Exception e) {
            System.err.println("assay harness: " + e);
            Runtime.getRuntime().halt(Channel.HARNESS_FAILED);
            return Channel.HARNESS_FAILED;
        }
        Thread.currentThread().setContextClassLoader(bundle);
        List<DiscoverySelector> selectors = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        TestPlan plan = null;
        Launcher launcher = null;
        try {
            for (String name : bundle.testClasses) {
                selectors.add(DiscoverySelectors.selectClass(Class.forName(name, false, bundle)));
            }
            launcher = LauncherFactory.create(LauncherConfig.builder()
                    .enableTestEngineAutoRegistration(false)
                    .enableTestExecutionListenerAutoRegistration(false)
                    .enableLauncherSessionListenerAutoRegistration(false)
                    .enableLauncherDiscoveryListenerAutoRegistration(false)
                    .enablePostDiscoveryFilterAutoRegistration(false)
                    .addTestEngines(new JupiterTestEngine())
                    .build());
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(selectors)
                    .enableImplicitConfigurationParameters(false)
                    .build();
            plan = launcher.discover(request);
        } catch (Throwable e) {
            errors.add(Report.describe(e));
        }
        Report report = new Report(channel, plan);
        if (plan != null && report.ids.size() > MAX_TESTS) {
            errors.add("more than " + MAX_TESTS + " tests");
        }
        report.collected(errors);
        if (!errors.isEmpty()) {
            channel.send("end", "\"exitstatus\": 2");
            return 2;
        }
        try {
            launcher.execute(plan, report);
        } catch (Throwable e) { // an OutOfMemoryError, which JUnit lets through, ends the run
            report.aborted(e);
        }
        int status = report.finish();
        channel.send("end", "\"exitstatus\": " + status);
        return status;
    }

    /** The listener: JUnit's events as the report's messages. */
    static final class Report implements TestExecutionListener {
        final Channel channel;
        final TestPlan plan;
        final Map<String, String> ids = new LinkedHashMap<>(); // unique id -> report id
        private final Map<String, TestIdentifier> nodes = new HashMap<>(); // the reported tests
        private final Map<String, String> owner = new HashMap<>(); // dynamic test -> its method
        private final Map<String, Failure> failures = new HashMap<>(); // a method's first failure
        private final Map<String, Integer> invocations = new HashMap<>();
        private final Set<String> begun = new HashSet<>();
        private final Set<String> reported = new HashSet<>();
        private boolean allPassed = true;

        Report(Channel channel, TestPlan plan) {
            this.channel = channel;
            this.plan = plan;
            if (plan != null) {
                for (TestIdentifier root : plan.getRoots()) collect(root);
                disambiguate();
            }
        }

        private void collect(TestIdentifier node) {
            Optional<TestSource> source = node.getSource();
            if (source.isPresent() && source.get() instanceof MethodSource) {
                MethodSource method = (MethodSource) source.get();
                ids.put(node.getUniqueId(), Ids.of(method, false));
                nodes.put(node.getUniqueId(), node);
                return; // a parameterized or factory method's invocations come while it runs
            }
            for (TestIdentifier child : plan.getChildren(node)) collect(child);
        }

        /** Overloaded test methods get their parameter types, so that every id is unique. */
        private void disambiguate() {
            Map<String, Integer> seen = new HashMap<>();
            for (String id : ids.values()) seen.merge(id, 1, Integer::sum);
            for (Map.Entry<String, String> entry : ids.entrySet()) {
                if (seen.get(entry.getValue()) > 1) {
                    TestIdentifier node = nodes.get(entry.getKey());
                    entry.setValue(Ids.of((MethodSource) node.getSource().get(), true));
                }
            }
        }

        void collected(List<String> errors) {
            StringBuilder fields = new StringBuilder("\"ids\": [");
            String sep = "";
            for (String id : ids.values()) {
                fields.append(sep).append(Channel.quote(id));
                sep = ", ";
            }
            fields.append("], \"errors\": [");
            sep = "";
            for (String error : errors) {
                fields.append(sep).append(Channel.quote(error));
                sep = ", ";
            }
            channel.send("collected", fields.append(']').toString());
        }

        @Override
        public void dynamicTestRegistered(TestIdentifier node) {
            node.getParentId().ifPresent(parent -> {
                String method = ids.containsKey(parent) ? parent : owner.get(parent);
                if (method != null) owner.put(node.getUniqueId(), method);
            });
        }

        @Override
        public void executionStarted(TestIdentifier node) {
            String id = ids.get(node.getUniqueId());
            if (id != null && begun.add(node.getUniqueId())) {
                channel.send("begin", "\"id\": " + Channel.quote(id));
            }
        }

        @Override
        public void executionSkipped(TestIdentifier node, String reason) {
            for (String unique : under(node)) {
                if (!begun.contains(unique)) executionStarted(nodes.get(unique));
                send(unique, "skipped", "skipped: " + (reason == null ? "" : reason), "");
            }
        }

        @Override
        public void executionFinished(TestIdentifier node, TestExecutionResult result) {
            String unique = node.getUniqueId();
            String method = owner.get(unique);
            if (method != null) { // one invocation of a parameterized, repeated or factory test
                if (node.isTest()) invocations.merge(method, 1, Integer::sum);
                if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    failures.putIfAbsent(method, Failure.of(result, node.getDisplayName()));
                }
                return;
            }
            if (ids.containsKey(unique)) {
                Failure failure = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL
                        ? failures.get(unique) : Failure.of(result, null);
                if (failure != null) {
                    send(unique, failure.outcome, failure.message, failure.detail);
                } else if (node.isContainer() && invocations.getOrDefault(unique, 0) == 0) {
                    send(unique, "skipped", "skipped: it made no tests", "");
                } else {
                    send(unique, "passed", "", "");
                }
                return;
            }
            if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                // A class (or the engine) failed around its tests (@BeforeAll, its constructor):
                // each of its tests that did not run failed with it.
                Failure failure = Failure.of(result, null);
                for (String test : under(node)) {
                    if (!begun.contains(test)) executionStarted(nodes.get(test));
                    send(test, failure.outcome, failure.message, failure.detail);
                }
            }
        }

        /** The reported tests at or below `node` that have no outcome yet. */
        private List<String> under(TestIdentifier node) {
            List<String> out = new ArrayList<>();
            if (ids.containsKey(node.getUniqueId())) {
                if (!reported.contains(node.getUniqueId())) out.add(node.getUniqueId());
                return out;
            }
            for (TestIdentifier child : plan.getChildren(node)) out.addAll(under(child));
            return out;
        }

        private void send(String unique, String outcome, String message, String detail) {
            if (!reported.add(unique)) return;
            if (!outcome.equals("passed")) allPassed = false;
            channel.send("case", "\"id\": " + Channel.quote(ids.get(unique))
                    + ", \"outcome\": \"" + outcome + "\", \"message\": " + Channel.quote(message)
                    + ", \"detail\": " + Channel.quote(detail, 6000));
        }

        /** The run stopped (JUnit let an OutOfMemoryError through): every test without an
         * outcome failed with it. */
        void aborted(Throwable error) {
            Failure failure = Failure.of(TestExecutionResult.failed(error), null);
            for (String unique : ids.keySet()) {
                if (!reported.contains(unique)) {
                    if (!begun.contains(unique)) executionStarted(nodes.get(unique));
                    send(unique, failure.outcome, failure.message, failure.detail);
                }
            }
        }

        int finish() {
            for (String unique : ids.keySet()) {
                if (!reported.contains(unique)) {
                    if (!begun.contains(unique)) executionStarted(nodes.get(unique));
                    send(unique, "error", "the test did not run", "");
                }
            }
            return allPassed ? 0 : 1;
        }

        static String describe(Throwable e) {
            return Failure.of(TestExecutionResult.failed(e), null).message;
        }
    }
}
