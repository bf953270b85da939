/* Placeholder: being written (issue 5). */
typedef int podscale_opt_ilp_placeholder;
