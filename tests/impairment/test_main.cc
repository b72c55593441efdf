#define BOOST_TEST_MODULE impairment_core
#include <boost/test/unit_test.hpp>
