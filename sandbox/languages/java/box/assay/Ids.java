// Report ids of test methods, INSIDE the sandbox: `Class::method`, `Class::Nested.method`.
package assay;

import org.junit.platform.engine.support.descriptor.MethodSource;

final class Ids {
    private Ids() {}

    static String of(MethodSource method, boolean withParameters) {
        String name = method.getClassName();
        name = name.substring(name.lastIndexOf('.') + 1);
        int nested = name.indexOf('$');
        String top = nested < 0 ? name : name.substring(0, nested);
        String inner = nested < 0 ? "" : name.substring(nested + 1).replace('$', '.') + ".";
        String id = top + "::" + inner + method.getMethodName();
        if (withParameters) {
            StringBuilder types = new StringBuilder();
            for (String type : method.getMethodParameterTypes().split(",")) {
                String simple = type.trim();
                simple = simple.substring(simple.lastIndexOf('.') + 1);
                if (simple.isEmpty()) continue;
                if (types.length() > 0) types.append(", ");
                types.append(simple);
            }
            id += "(" + types + ")";
        }
        return id;
    }
}
