// Plain JUnit 5 test classes without JUnit's engine, INSIDE the sandbox: the same tests, in the
// same order, with the same lifecycle and outcomes as JUnit Jupiter (5.9) gives them, at a
// fraction of its start-up (Jupiter's discovery and execution machinery is most of a run's CPU).
//
// A class is plain when it is a top-level class extending Object and implementing nothing, with
// one constructor without parameters, and JUnit annotations only from: @Test, @BeforeEach,
// @AfterEach, @BeforeAll, @AfterAll (each method with one of them, with the signature Jupiter
// requires: void, no parameters, not private, static for the *All ones only) and @DisplayName;
// no other runtime annotation anywhere in it or its nested classes. A class without any
// annotation and no supertype of the sample's is not a test class (as for Jupiter). Anything
// else, and any class whose reflection fails, sends the whole run to Jupiter (`plan`: null).
//
// Jupiter's semantics kept: methods ordered by JUnit's own ReflectionUtils.findMethods; a new
// instance per test; @BeforeEach methods until one fails, the test only if none did, every
// @AfterEach method, the first failure the test's (later ones suppressed in it); an aborted
// assumption skips the test; an OutOfMemoryError ends the run; @BeforeAll failing fails every
// test of its class without running them, @AfterAll always runs and its failure fails the run.
package assay;

import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.commons.util.ReflectionUtils;
import org.junit.platform.engine.TestExecutionResult;
import org.opentest4j.TestAbortedException;

final class FastPath {
    private static final Map<Class<? extends Annotation>, Boolean> KINDS = Map.of( // -> static
            Test.class, false, BeforeEach.class, false, AfterEach.class, false,
            BeforeAll.class, true, AfterAll.class, true);
    private static final Set<Class<? extends Annotation>> HARMLESS = Set.of(DisplayName.class, Deprecated.class);

    /** A test class's plan: its constructor and its methods of each kind, in Jupiter's order. */
    static final class Plan {
        final Class<?> type;
        final Constructor<?> constructor;
        final List<Method> tests, beforeEach, afterEach, beforeAll, afterAll;
        final List<String> ids = new ArrayList<>();

        Plan(Class<?> type, Constructor<?> constructor) {
            this.type = type;
            this.constructor = constructor;
            tests = ReflectionUtils.findMethods(type, m -> m.isAnnotationPresent(Test.class));
            beforeEach = ReflectionUtils.findMethods(type, m -> m.isAnnotationPresent(BeforeEach.class));
            afterEach = ReflectionUtils.findMethods(type, m -> m.isAnnotationPresent(AfterEach.class));
            beforeAll = ReflectionUtils.findMethods(type, m -> m.isAnnotationPresent(BeforeAll.class));
            afterAll = ReflectionUtils.findMethods(type, m -> m.isAnnotationPresent(AfterAll.class));
            String name = type.getName().substring(type.getName().lastIndexOf('.') + 1);
            for (Method test : tests) ids.add(name + "::" + test.getName());
        }
    }

    private FastPath() {}

    /** The plans of the classes with tests, when every class is plain; else null. */
    static List<Plan> plan(List<Class<?>> classes) {
        try {
            List<Plan> plans = new ArrayList<>();
            for (Class<?> type : classes) {
                if (!annotated(type) && !inheritsFromSample(type, type.getClassLoader())) {
                    continue; // not a test class (HumanEval-X's Main)
                }
                Plan plan = planOf(type);
                if (plan == null) return null;
                if (!plan.tests.isEmpty()) plans.add(plan);
            }
            return plans;
        } catch (Throwable e) { // a class that does not link, say: Jupiter reports it
            return null;
        }
    }

    private static Plan planOf(Class<?> type) {
        int modifiers = type.getModifiers();
        if (type.isInterface() || type.isEnum() || type.isRecord() || Modifier.isAbstract(modifiers)
                || type.getSuperclass() != Object.class || type.getInterfaces().length > 0
                || !only(type, HARMLESS)) {
            return null;
        }
        for (Class<?> nested : type.getDeclaredClasses()) {
            if (annotated(nested)) return null;
        }
        for (Field field : type.getDeclaredFields()) {
            if (field.getAnnotations().length > 0) return null;
        }
        Constructor<?>[] constructors = type.getDeclaredConstructors();
        if (constructors.length != 1 || constructors[0].getParameterCount() != 0 || annotated(constructors[0])) {
            return null;
        }
        for (Method method : type.getDeclaredMethods()) {
            if (method.isSynthetic() || method.isBridge()) continue;
            for (Annotation[] parameter : method.getParameterAnnotations()) {
                if (parameter.length > 0) return null;
            }
            if (method.getAnnotations().length > 0 && !valid(method)) return null;
        }
        return new Plan(type, constructors[0]);
    }

    /** A method with exactly one kind of annotation, the signature Jupiter requires for it, and
     * nothing else but harmless annotations. */
    private static boolean valid(Method method) {
        Boolean isStatic = null;
        for (Annotation annotation : method.getAnnotations()) {
            Boolean kind = KINDS.get(annotation.annotationType());
            if (kind != null) {
                if (isStatic != null) return false;
                isStatic = kind;
            } else if (!HARMLESS.contains(annotation.annotationType())) {
                return false;
            }
        }
        int modifiers = method.getModifiers();
        return isStatic != null && Modifier.isStatic(modifiers) == isStatic && !Modifier.isPrivate(modifiers)
                && !Modifier.isAbstract(modifiers) && method.getReturnType() == void.class
                && method.getParameterCount() == 0;
    }

    private static boolean only(AnnotatedElement element, Set<Class<? extends Annotation>> allowed) {
        for (Annotation annotation : element.getAnnotations()) {
            if (!allowed.contains(annotation.annotationType())) return false;
        }
        return true;
    }

    /** Whether a class has a runtime annotation anywhere: on itself, its members, their
     * parameters, or its nested classes. */
    private static boolean annotated(AnnotatedElement element) {
        if (element.getAnnotations().length > 0) return true;
        if (element instanceof Class) {
            Class<?> type = (Class<?>) element;
            for (Method method : type.getDeclaredMethods()) {
                if (annotated(method)) return true;
                for (Annotation[] parameter : method.getParameterAnnotations()) {
                    if (parameter.length > 0) return true;
                }
            }
            for (Field field : type.getDeclaredFields()) {
                if (annotated(field)) return true;
            }
            for (Constructor<?> constructor : type.getDeclaredConstructors()) {
                if (annotated(constructor)) return true;
            }
            for (Class<?> nested : type.getDeclaredClasses()) {
                if (annotated(nested)) return true;
            }
        }
        return false;
    }

    /** Whether a supertype of `type` is the sample's (its tests may be inherited). */
    private static boolean inheritsFromSample(Class<?> type, ClassLoader sample) {
        List<Class<?>> supertypes = new ArrayList<>(List.of(type.getInterfaces()));
        if (type.getSuperclass() != null) supertypes.add(type.getSuperclass());
        for (Class<?> supertype : supertypes) {
            if (supertype.getClassLoader() == sample || inheritsFromSample(supertype, sample)) return true;
        }
        return false;
    }

    static int run(Outcomes outcomes, List<Plan> plans) {
        List<String> ids = new ArrayList<>();
        for (Plan plan : plans) ids.addAll(plan.ids);
        if (ids.size() > TestMain.MAX_TESTS) {
            outcomes.collected(List.of(), List.of("more than " + TestMain.MAX_TESTS + " tests"));
            return outcomes.end(2);
        }
        outcomes.collected(ids, List.of());
        try {
            for (Plan plan : plans) runClass(outcomes, plan);
        } catch (OutOfMemoryError e) { // as Jupiter: it ends the run
            Failure failure = Failure.of(TestExecutionResult.failed(e), null);
            for (String id : ids) outcomes.result(id, failure);
        }
        return outcomes.finish(ids);
    }

    private static void runClass(Outcomes outcomes, Plan plan) {
        Throwable before = null;
        for (Method method : plan.beforeAll) {
            before = invoke(null, method);
            if (before != null) break;
        }
        if (before == null) {
            for (int i = 0; i < plan.tests.size(); i++) runTest(outcomes, plan, plan.tests.get(i), plan.ids.get(i));
        }
        Throwable after = null;
        for (Method method : plan.afterAll) after = collect(after, invoke(null, method));
        if (before != null) {
            if (after != null) before.addSuppressed(after);
            Failure failure = failure(before);
            for (String id : plan.ids) outcomes.result(id, failure);
        } else if (after != null) {
            outcomes.failedAround(plan.type.getSimpleName(), failure(after));
        }
    }

    private static void runTest(Outcomes outcomes, Plan plan, Method test, String id) {
        outcomes.begin(id);
        Throwable thrown = null;
        Object instance = null;
        try {
            plan.constructor.setAccessible(true);
            instance = plan.constructor.newInstance();
        } catch (InvocationTargetException e) {
            thrown = unrecoverable(e.getCause());
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            thrown = e;
        }
        if (instance != null) {
            for (Method method : plan.beforeEach) {
                thrown = invoke(instance, method);
                if (thrown != null) break;
            }
            if (thrown == null) thrown = invoke(instance, test);
            for (Method method : plan.afterEach) thrown = collect(thrown, invoke(instance, method));
        }
        if (thrown == null) {
            outcomes.result(id, "passed", "", "");
        } else {
            outcomes.result(id, failure(thrown));
        }
    }

    /** What a method threw, or null; an OutOfMemoryError goes on up (it ends the run). */
    private static Throwable invoke(Object instance, Method method) {
        try {
            method.setAccessible(true);
            method.invoke(instance);
            return null;
        } catch (InvocationTargetException e) {
            return unrecoverable(e.getCause());
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return e;
        }
    }

    private static Throwable unrecoverable(Throwable thrown) {
        if (thrown instanceof OutOfMemoryError) throw (OutOfMemoryError) thrown;
        return thrown;
    }

    private static Throwable collect(Throwable first, Throwable next) {
        if (first == null) return next;
        if (next != null && next != first) first.addSuppressed(next);
        return first;
    }

    private static Failure failure(Throwable thrown) {
        TestExecutionResult result = thrown instanceof TestAbortedException
                ? TestExecutionResult.aborted(thrown) : TestExecutionResult.failed(thrown);
        return Failure.of(result, null);
    }
}
