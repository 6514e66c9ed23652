# Finds CBLAS and LAPACKE (OpenBLAS) and CUnit; on failure, names the Debian
# package to install. Defines the imported targets DJ::cblas, DJ::lapacke
# and (when tests are on) DJ::cunit.

function(dj_find_lib var header lib pkg what)
  find_path(${var}_INCLUDE_DIR ${header} PATH_SUFFIXES openblas)
  find_library(${var}_LIBRARY NAMES ${lib})
  if(NOT ${var}_INCLUDE_DIR OR NOT ${var}_LIBRARY)
    message(FATAL_ERROR
      "dualjac needs ${what} (header ${header}, library ${lib}), not found.\n"
      "On Debian or Ubuntu: sudo apt-get install ${pkg}\n"
      "(or run the README's commands as root; they install it).")
  endif()
  set(${var}_INCLUDE_DIR ${${var}_INCLUDE_DIR} PARENT_SCOPE)
  set(${var}_LIBRARY ${${var}_LIBRARY} PARENT_SCOPE)
endfunction()

dj_find_lib(DJ_CBLAS cblas.h openblas libopenblas-dev "CBLAS from OpenBLAS")
dj_find_lib(DJ_LAPACKE lapacke.h lapacke liblapacke-dev "LAPACKE")
add_library(DJ::cblas INTERFACE IMPORTED)
set_target_properties(DJ::cblas PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${DJ_CBLAS_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${DJ_CBLAS_LIBRARY}")
add_library(DJ::lapacke INTERFACE IMPORTED)
set_target_properties(DJ::lapacke PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${DJ_LAPACKE_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${DJ_LAPACKE_LIBRARY};${DJ_CBLAS_LIBRARY}")

if(DJ_BUILD_TESTS)
  dj_find_lib(DJ_CUNIT CUnit/CUnit.h cunit libcunit1-dev "CUnit")
  add_library(DJ::cunit INTERFACE IMPORTED)
  set_target_properties(DJ::cunit PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${DJ_CUNIT_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${DJ_CUNIT_LIBRARY}")
endif()
