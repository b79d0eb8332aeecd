// The sample's tests on JUnit Jupiter, INSIDE the sandbox: discovery of the selected classes, and
// a listener that turns JUnit's events into the report (Outcomes). A parameterized, repeated or
// factory method is one test: it fails with its first failing invocation, and a factory that
// made no tests is skipped. A class or the engine failing around its tests fails each of its
// tests that did not run, or, after they ran (an @AfterAll), the run.
package assay;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.engine.JupiterTestEngine;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

final class JupiterRun implements TestExecutionListener {
    private final Outcomes outcomes;
    private final TestPlan plan;
    final Map<String, String> ids = new LinkedHashMap<>(); // unique id -> report id
    private final Map<String, TestIdentifier> nodes = new HashMap<>(); // the reported tests
    private final Map<String, String> owner = new HashMap<>(); // an invocation -> its method
    private final Map<String, Failure> failures = new HashMap<>(); // a method's first failure
    private final Map<String, Integer> invocations = new HashMap<>();

    private JupiterRun(Outcomes outcomes, TestPlan plan) {
        this.outcomes = outcomes;
        this.plan = plan;
        if (plan != null) {
            for (TestIdentifier root : plan.getRoots()) collect(root);
            disambiguate();
        }
    }

    static int run(Outcomes outcomes, List<Class<?>> classes, List<String> errors) {
        TestPlan plan = null;
        Launcher launcher = null;
        if (errors.isEmpty()) {
            try {
                List<DiscoverySelector> selectors = new ArrayList<>();
                for (Class<?> test : classes) selectors.add(DiscoverySelectors.selectClass(test));
                launcher = LauncherFactory.create(LauncherConfig.builder()
                        .enableTestEngineAutoRegistration(false)
                        .enableTestExecutionListenerAutoRegistration(false)
                        .enableLauncherSessionListenerAutoRegistration(false)
                        .enableLauncherDiscoveryListenerAutoRegistration(false)
                        .enablePostDiscoveryFilterAutoRegistration(false)
                        .addTestEngines(new JupiterTestEngine())
                        .build());
                plan = launcher.discover(LauncherDiscoveryRequestBuilder.request()
                        .selectors(selectors)
                        .enableImplicitConfigurationParameters(false)
                        .build());
            } catch (Throwable e) {
                errors.add(Failure.headline(e));
            }
        }
        JupiterRun run = new JupiterRun(outcomes, plan);
        if (run.ids.size() > TestMain.MAX_TESTS) errors.add("more than " + TestMain.MAX_TESTS + " tests");
        List<String> ids = new ArrayList<>(run.ids.values());
        outcomes.collected(errors.isEmpty() ? ids : List.of(), errors);
        if (!errors.isEmpty()) return outcomes.end(2);
        try {
            launcher.execute(plan, run);
        } catch (Throwable e) { // an OutOfMemoryError, which JUnit lets through, ends the run
            Failure failure = Failure.of(TestExecutionResult.failed(e), null);
            for (String id : ids) outcomes.result(id, failure);
        }
        return outcomes.finish(ids);
    }

    private void collect(TestIdentifier node) {
        Optional<TestSource> source = node.getSource();
        if (source.isPresent() && source.get() instanceof MethodSource) {
            ids.put(node.getUniqueId(), Ids.of((MethodSource) source.get(), false));
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
                MethodSource method = (MethodSource) nodes.get(entry.getKey()).getSource().get();
                entry.setValue(Ids.of(method, true));
            }
        }
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
        if (id != null) outcomes.begin(id);
    }

    @Override
    public void executionSkipped(TestIdentifier node, String reason) {
        for (String id : under(node)) outcomes.result(id, "skipped", "skipped: " + (reason == null ? "" : reason), "");
    }

    @Override
    public void executionFinished(TestIdentifier node, TestExecutionResult result) {
        String unique = node.getUniqueId();
        boolean ok = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL;
        String method = owner.get(unique);
        if (method != null) { // one invocation of a parameterized, repeated or factory test
            if (node.isTest()) invocations.merge(method, 1, Integer::sum);
            if (!ok) failures.putIfAbsent(method, Failure.of(result, node.getDisplayName()));
            return;
        }
        String id = ids.get(unique);
        if (id != null) {
            Failure failure = ok ? failures.get(unique) : Failure.of(result, null);
            if (failure != null) {
                outcomes.result(id, failure);
            } else if (node.isContainer() && invocations.getOrDefault(unique, 0) == 0) {
                outcomes.result(id, "skipped", "skipped: it made no tests", "");
            } else {
                outcomes.result(id, "passed", "", "");
            }
            return;
        }
        if (!ok) { // a class or the engine, around its tests (@BeforeAll, @AfterAll, its constructor)
            Failure failure = Failure.of(result, null);
            List<String> waiting = under(node);
            for (String test : waiting) outcomes.result(test, failure);
            if (waiting.isEmpty()) outcomes.failedAround(node.getDisplayName(), failure);
        }
    }

    /** The reported tests at or below `node` that have no outcome yet. */
    private List<String> under(TestIdentifier node) {
        List<String> out = new ArrayList<>();
        String id = ids.get(node.getUniqueId());
        if (id != null) {
            if (!outcomes.has(id)) out.add(id);
            return out;
        }
        for (TestIdentifier child : plan.getChildren(node)) out.addAll(under(child));
        return out;
    }
}
