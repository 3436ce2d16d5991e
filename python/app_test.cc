// Loading apps: MODULE:FACTORY() and --wsgi-file script files.
#include "python/app.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "python/app_file.h"

namespace shoal::python {
namespace {

// A directory under $TMPDIR for the test's Python files, on sys.path.
class AppTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "shoal-app-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    PyObject* path = PySys_GetObject("path");  // borrowed
    PyRef entry = PyRef::Steal(PyUnicode_FromString(dir_.c_str()));
    PyList_Insert(path, 0, entry.get());
  }
  void TearDown() override {
    PyObject* path = PySys_GetObject("path");
    PyRef entry = PyRef::Steal(PyUnicode_FromString(dir_.c_str()));
    for (int i = 0; i < 2; ++i) {  // ours, and the one RunAppFile may have added
      if (PySequence_Contains(path, entry.get()) == 1) {
        PyRef removed = PyRef::Steal(PyObject_CallMethod(path, "remove", "O", entry.get()));
      }
    }
    PyErr_Clear();
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& name, const std::string& source) {
    std::ofstream(dir_ / name) << source;
  }
  // str(value), as a std::string.
  static std::string Text(PyObject* value) {
    PyRef text = PyRef::Steal(PyObject_Str(value));
    return text ? PyUnicode_AsUTF8(text.get()) : "<error>";
  }

  std::filesystem::path dir_;
};

TEST_F(AppTest, AFactoryIsCalledOnceAndWhatItReturnsIsTheApp) {
  Write("factory_mod.py",
        "calls = []\n"
        "def wsgi(environ, start_response): pass\n"
        "def make():\n"
        "    calls.append(1)\n"
        "    return wsgi\n");
  Result<PyRef> app = LoadApp({.module = "factory_mod", .callable = "make", .factory = true});
  ASSERT_TRUE(app.ok()) << app.status().message();
  PyRef module = PyRef::Steal(PyImport_ImportModule("factory_mod"));
  PyRef wsgi = PyRef::Steal(PyObject_GetAttrString(module.get(), "wsgi"));
  EXPECT_EQ(app.value().get(), wsgi.get());
  PyRef calls = PyRef::Steal(PyObject_GetAttrString(module.get(), "calls"));
  EXPECT_EQ(PyList_Size(calls.get()), 1);
}

TEST_F(AppTest, AFactoryThatRaisesOrReturnsNoCallableIsOneLine) {
  Write("bad_factory.py",
        "def boom():\n"
        "    raise RuntimeError('no database')\n"
        "def nothing():\n"
        "    return None\n");
  Result<PyRef> raised = LoadApp({.module = "bad_factory", .callable = "boom", .factory = true});
  ASSERT_FALSE(raised.ok());
  EXPECT_EQ(raised.status().message(),
            "cannot load app 'bad_factory:boom()': boom() raised RuntimeError: no database "
            "(raised at " + (dir_ / "bad_factory.py").string() + ":2)");
  EXPECT_FALSE(PyErr_Occurred());
  Result<PyRef> none = LoadApp({.module = "bad_factory", .callable = "nothing", .factory = true});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(),
            "cannot load app 'bad_factory:nothing()': nothing() returned a NoneType, not a WSGI "
            "callable");
}

TEST_F(AppTest, AWsgiFileOfAnySuffixRunsAsItsOwnModuleAndImportsWhatIsBesideIt) {
  std::filesystem::create_directories(dir_ / "site");
  Write("site/helper_beside.py", "GREETING = 'hi'\n");
  Write("site/site.wsgi",
        "import helper_beside\n"
        "greeting = helper_beside.GREETING\n"
        "def application(environ, start_response): pass\n");
  const std::string file = (dir_ / "site/site.wsgi").string();
  Result<PyRef> app = LoadApp({.callable = "application", .file = file});
  ASSERT_TRUE(app.ok()) << app.status().message();
  PyRef module_name = PyRef::Steal(PyObject_GetAttrString(app.value().get(), "__module__"));
  EXPECT_EQ(Text(module_name.get()), AppFileModuleName(file));
  PyObject* module = PyDict_GetItemString(PyImport_GetModuleDict(), AppFileModuleName(file).c_str());
  ASSERT_NE(module, nullptr);
  PyRef greeting = PyRef::Steal(PyObject_GetAttrString(module, "greeting"));
  EXPECT_EQ(Text(greeting.get()), "hi");
  EXPECT_EQ(AppFileModuleName(file), AppFileModuleName(file));
  EXPECT_NE(AppFileModuleName(file), AppFileModuleName(file + "x"));
}

TEST_F(AppTest, AWsgiFileThatIsMissingOrRaisesIsOneLine) {
  const std::string missing = (dir_ / "missing.wsgi").string();
  Result<PyRef> gone = LoadApp({.callable = "application", .file = missing});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().message(), "cannot load app '" + missing + ":application': access(" +
                                         missing + ", R_OK) failed: No such file or directory");
  Write("raises.wsgi", "x = 1\nraise ValueError('bad settings')\n");
  const std::string raises = (dir_ / "raises.wsgi").string();
  Result<PyRef> raised = LoadApp({.callable = "application", .file = raises});
  ASSERT_FALSE(raised.ok());
  EXPECT_EQ(raised.status().message(), "cannot load app '" + raises +
                                           ":application': ValueError: bad settings (raised at " +
                                           raises + ":2)");
  EXPECT_EQ(PyDict_GetItemString(PyImport_GetModuleDict(), AppFileModuleName(raises).c_str()),
            nullptr);
  Write("noapp.wsgi", "app = 1\n");
  const std::string noapp = (dir_ / "noapp.wsgi").string();
  Result<PyRef> absent = LoadApp({.callable = "application", .file = noapp});
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().message(),
            "cannot load app '" + noapp + ":application': '" + noapp + "' has no 'application'");
}

}  // namespace
}  // namespace shoal::python
